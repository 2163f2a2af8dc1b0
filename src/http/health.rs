//! `/healthz` (the process is up), `/readyz` (the store answers, its queues exist, and the worker
//! can read them), `/metrics` (Prometheus text).

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(app): State<AppState>) -> Result<&'static str, ApiError> {
    app.store.ready().await?;
    if app.settings.service.worker.enabled && !app.health.queue_ok() {
        return Err(ApiError::Unavailable("the worker cannot read its queues".into()));
    }
    Ok("ready")
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
