//! `dossier serve` and `dossier worker`.

use super::CliError;
use crate::config::{Secrets, Settings};
use crate::startup::{Application, build_state, check_durability, open_store, run_background, shutdown_on_signals};
use std::path::Path;
use tokio_util::sync::CancellationToken;

pub async fn serve(dir: &Path, http: bool) -> Result<(), CliError> {
    let settings = Settings::load(dir)?;
    crate::telemetry::init_logs(settings.service.log_format == "json");
    let secrets = Secrets::from_env();
    let store = open_store(&settings, &secrets).await?;
    check_durability(&settings, store.as_ref()).await?;
    let state = build_state(settings, secrets, store).await?;
    let shutdown = CancellationToken::new();
    shutdown_on_signals(shutdown.clone());
    if http {
        let app = Application::build(state).await?;
        app.run_until_stopped(shutdown).await?;
    } else {
        tracing::info!(store = state.store.backend(), "dossier worker is running");
        run_background(state, shutdown).await;
    }
    Ok(())
}
