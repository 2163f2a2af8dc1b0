//! `/healthz` (the process is up), `/readyz` (the store answers), `/metrics` (Prometheus text).

use crate::http::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(app): State<AppState>) -> Result<&'static str, ApiError> {
    app.store.ping().await?;
    Ok("ready")
}

pub async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
