//! Building and running the application. `Application::build` binds the listener itself, so
//! tests (and the demo) can ask for port 0 and read the real port back. This is also the
//! composition root: the only place that knows which channel adapters serve a company.

use crate::companies::{Companies, Connections};
use crate::config::{CompanyConfig, Secrets, Settings};
use crate::copilot::ports::ChatBinding;
use crate::state::{App, AppState, Health};
use crate::store::memory::MemoryStore;
use crate::store::redis::{RedisOptions, RedisStore};
use crate::store::{Durability, Store};
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
            let store = RedisStore::connect(url.expose_secret(), redis_options(settings, &s.redis.key_prefix))
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

/// The store options from the service configuration, with a key prefix.
pub fn redis_options(settings: &Settings, prefix: &str) -> RedisOptions {
    let s = &settings.service;
    RedisOptions {
        prefix: prefix.to_owned(),
        streams: s.redis.job_streams,
        dedupe_ttl_secs: s.whatsapp.dedupe_ttl_secs,
        response_timeout: Duration::from_millis(s.redis.response_timeout_ms),
        ack_replicas: s.redis.ack_replicas,
        ack_timeout: Duration::from_millis(s.redis.ack_replicas_timeout_ms),
    }
}

/// Reads what the store promises about acknowledged writes, warns naming the risk, and refuses
/// to start when `[redis] require_aof` asks for an append-only file that is not there.
pub async fn check_durability(settings: &Settings, store: &dyn Store) -> anyhow::Result<Durability> {
    let d = store.durability().await;
    let durable = matches!(d, Durability::AppendOnly { .. });
    metrics::gauge!("dossier_redis_durable").set(if durable { 1.0 } else { 0.0 });
    match &d {
        Durability::AppendOnly { fsync } if fsync == "no" => tracing::warn!(
            "Redis appendfsync is `no`: the OS decides when the append-only file reaches disk; a machine crash can lose recent acknowledged messages (use everysec or always)"
        ),
        Durability::AppendOnly { fsync } => tracing::info!(fsync, "Redis keeps an append-only file"),
        Durability::NotDurable { why } => tracing::warn!(
            "Redis persistence: {why}. Acknowledged messages could be lost; set appendonly yes (see README, \"Redis settings\")"
        ),
        Durability::Unknown { why } => {
            tracing::warn!("cannot read Redis persistence settings ({why}); make sure appendonly is yes")
        }
        Durability::Memory => {}
    }
    if settings.service.redis.require_aof && !durable && d != Durability::Memory {
        anyhow::bail!("[redis] require_aof = true, but Redis has no append-only file ({d:?}); refusing to start");
    }
    Ok(d)
}

/// The adapters that serve a company: its team chats and its WhatsApp sender.
pub fn connect(http: &reqwest::Client, settings: &Settings, secrets: &Secrets, c: &CompanyConfig) -> Connections {
    use crate::channels::{mattermost::client::MattermostChat, slack::client::SlackChat, whatsapp::send::GraphSender};
    let mut chats = Vec::new();
    if let Some(s) = &c.slack {
        chats.push(ChatBinding {
            chat: Arc::new(SlackChat::for_company(http, settings, secrets, c)),
            drafts_channel: s.drafts_channel.clone(),
            managers_channel: s.managers_channel.clone(),
        });
    }
    if let Some(m) = &c.mattermost {
        chats.push(ChatBinding {
            chat: Arc::new(MattermostChat::for_company(http, settings, secrets, c)),
            drafts_channel: m.drafts_channel.clone(),
            managers_channel: m.managers_channel.clone(),
        });
    }
    Connections {
        chats,
        whatsapp: GraphSender::for_company(http, settings, secrets, c),
    }
}

/// Builds the shared state: store, companies (catalogs, connections), HTTP clients, metrics.
pub async fn build_state(settings: Settings, secrets: Secrets, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("dossier/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let llm_http = crate::net::llm_client(&settings.service.llm)?;
    let templates = Arc::new(settings.templates()?);
    let companies = Companies::build(&settings, &|c| connect(&http, &settings, &secrets, c))?;
    Ok(AppState(Arc::new(App {
        settings,
        secrets,
        store,
        metrics: crate::telemetry::metrics_handle(),
        http,
        llm_http,
        companies,
        health: Health::default(),
        templates,
        llm_modes: Default::default(),
        live: Default::default(),
    })))
}

/// The duties every role runs beside its own (`serve` beside HTTP, `worker` alone): the queue
/// consumers and the sweep when the worker is on, and the catalog watcher always. Returns when
/// `shutdown` is cancelled and they have finished.
pub async fn run_background(state: AppState, shutdown: CancellationToken) {
    let worker_on = state.settings.service.worker.enabled;
    let worker = async {
        if worker_on {
            crate::jobs::worker::run(state.clone(), shutdown.clone()).await;
        }
    };
    let sweeper = async {
        if worker_on {
            sweep_loop(&state, &shutdown).await;
        }
    };
    let watcher = crate::companies::watch(&state.companies, Duration::from_secs(10), shutdown.clone());
    let live = state.live.relay(state.store.as_ref(), shutdown.clone());
    tokio::join!(worker, sweeper, watcher, live);
}

async fn sweep_loop(state: &AppState, shutdown: &CancellationToken) {
    let every = state.settings.service.worker.sweep_secs;
    let mut last = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
        }
        let now = jiff::Timestamp::now();
        let (from, to) = crate::jobs::sweep::window(last, now, every as i64);
        match crate::jobs::sweep::sweep(state, from, to).await {
            Ok(_) => last = Some(now),
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "sweep failed; trying again next round"),
        }
    }
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
        warn_missing_secrets(&state);
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves until `shutdown` is cancelled, then drains in-flight requests; the background duties
    /// finish the jobs in hand.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let background = tokio::spawn(run_background(self.state.clone(), shutdown.clone()));
        let router = crate::http::router(self.state.clone());
        tracing::info!(addr = %self.listener.local_addr()?, store = self.state.store.backend(), "dossier is serving");
        let token = shutdown.clone();
        axum::serve(self.listener, router)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await?;
        shutdown.cancel();
        let _ = background.await;
        Ok(())
    }
}

/// Names (never shows) each Chatwoot or panel secret a company file names that the environment
/// lacks: the route keeps answering (401/503, saying which variable), but the operator hears it
/// at start rather than from an agent.
fn warn_missing_secrets(state: &AppState) {
    for c in state.settings.companies.values() {
        let mut vars: Vec<&str> = Vec::new();
        if let Some(cw) = &c.chatwoot {
            vars.push(&cw.webhook_secret_env);
            if cw.write_back
                && let Some(t) = &cw.api_token_env
            {
                vars.push(t);
            }
        }
        if let Some(p) = &c.panel {
            vars.push(&p.key_env);
        }
        for var in vars {
            if state.secrets.var(var).is_none() {
                tracing::warn!(company = %c.id, variable = var, "a secret the company file names is not set");
            }
        }
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
