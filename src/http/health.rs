//! `/healthz` (the process is up), `/readyz` (the store answers, its queues exist, and the worker
//! can read them), `/metrics` (Prometheus text).

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "the process is up", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "the store answers and the worker can read its queues", body = String, content_type = "text/plain"),
        (status = 503, description = "not ready", body = crate::http::error::ErrorBody),
    ))]
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
