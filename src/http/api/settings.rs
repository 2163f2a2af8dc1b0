//! `GET`/`PUT /v1/companies/{company}/settings`: Customer Intelligence settings at company level.

use crate::analysis::pipeline::effective_settings;
use crate::config::IntelligenceSettings;
use crate::http::auth::authorize;
use crate::http::error::{ApiError, ApiResult, AppJson};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::HeaderMap;

pub async fn get_settings(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
) -> ApiResult<AppJson<IntelligenceSettings>> {
    let company = authorize(&app, &headers, &company)?;
    Ok(AppJson(
        effective_settings(&app, &company).await.map_err(ApiError::Internal)?,
    ))
}

/// Replaces the settings (the whole object; omitted keys take their defaults), validated first.
pub async fn put_settings(
    State(app): State<AppState>,
    Path(company): Path<String>,
    headers: HeaderMap,
    AppJson(settings): AppJson<IntelligenceSettings>,
) -> ApiResult<AppJson<IntelligenceSettings>> {
    let company = authorize(&app, &headers, &company)?;
    settings
        .validate()
        .map_err(|(k, p)| ApiError::Invalid(format!("{k}: {p}")))?;
    let body = serde_json::to_vec(&settings).map_err(|e| ApiError::Internal(e.into()))?;
    app.store.put_settings(&company, &body).await?;
    tracing::info!(company = %company, provider = settings.provider.as_str(), "settings updated");
    Ok(AppJson(settings))
}
