//! Building and running the application. `Application::build` binds the listener itself, so
//! tests (and the demo) can ask for port 0 and read the real port back.

use crate::companies::Companies;
use crate::config::{Secrets, Settings};
use crate::state::{App, AppState};
use crate::store::Store;
use crate::store::memory::MemoryStore;
use crate::store::redis::RedisStore;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

/// Opens the store the configuration asks for: Redis when `REDIS_URL` is set, else embedded memory.
pub async fn open_store(settings: &Settings, secrets: &Secrets) -> anyhow::Result<Arc<dyn Store>> {
    let s = &settings.service;
    match &secrets.redis_url {
        Some(url) => {
            let store = RedisStore::connect(
                url.expose_secret(),
                &s.redis.key_prefix,
                s.redis.job_streams,
                s.whatsapp.dedupe_ttl_secs,
                Duration::from_millis(s.redis.response_timeout_ms),
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to Redis (REDIS_URL): {e}"))?;
            Ok(Arc::new(store))
        }
        None => {
            tracing::warn!("REDIS_URL is not set: using the embedded in-memory store; nothing is kept after exit");
            Ok(Arc::new(MemoryStore::new(s.whatsapp.dedupe_ttl_secs)))
        }
    }
}

/// Builds the shared state: store, companies (catalogs), HTTP client, metrics.
pub async fn build_state(settings: Settings, secrets: Secrets, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    let companies = Companies::build(&settings)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("dossier/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(AppState(Arc::new(App {
        settings,
        secrets,
        store,
        metrics: crate::telemetry::metrics_handle(),
        http,
        companies,
    })))
}

impl Application {
    /// Binds `settings.listen` (port 0 = any free port) and builds the state.
    pub async fn build(state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(state.settings.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.settings.listen))?;
        if state.secrets.whatsapp_app_secret.is_none() || state.secrets.whatsapp_verify_token.is_none() {
            tracing::warn!(
                "WHATSAPP_APP_SECRET or WHATSAPP_VERIFY_TOKEN is not set: the WhatsApp webhook answers 503 until both are"
            );
        }
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests; the worker (when
    /// enabled) finishes its current job.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let worker = if self.state.settings.service.worker.enabled {
            Some(tokio::spawn(crate::jobs::worker::run(
                self.state.clone(),
                shutdown.clone(),
            )))
        } else {
            None
        };
        let watcher = {
            let (state, token) = (self.state.clone(), shutdown.clone());
            tokio::spawn(async move { crate::companies::watch(&state.companies, Duration::from_secs(10), token).await })
        };
        let router = crate::http::router(self.state.clone());
        tracing::info!(addr = %self.listener.local_addr()?, store = self.state.store.backend(), "dossier is serving");
        let token = shutdown.clone();
        axum::serve(self.listener, router)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await?;
        shutdown.cancel();
        if let Some(w) = worker {
            let _ = w.await;
        }
        let _ = watcher.await;
        Ok(())
    }
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub fn shutdown_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                s.recv().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutting down");
        token.cancel();
    });
}
