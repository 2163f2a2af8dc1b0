//! `GET`/`PUT /v1/companies/{company}/settings`: Customer Intelligence settings at company level.

use crate::analysis::pipeline::effective_settings;
use crate::config::IntelligenceSettings;
use crate::config::company::OPERATOR_ONLY_KEYS;
use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson, TenantErrors};
use crate::state::AppState;
use axum::extract::State;
use dossier_core::CompanyId;

/// The company's settings: the API's override, else its file's.
#[utoipa::path(
    get, path = "/v1/companies/{company}/settings", tag = "settings",
    params(("company" = CompanyId, Path)),
    responses((status = 200, body = IntelligenceSettings), TenantErrors),
    security(("bearer" = []))
)]
pub async fn get_settings(
    Tenant(company): Tenant,
    State(app): State<AppState>,
) -> ApiResult<AppJson<IntelligenceSettings>> {
    Ok(AppJson(
        effective_settings(&app, &company).await.map_err(ApiError::Internal)?,
    ))
}

/// Replaces the settings (the whole object; omitted keys take their defaults), validated first
/// against what the operator allows the company. A tenant chooses among the providers and models
/// of its company file; which URL an LLM lives at and which secret it gets are not settings.
#[utoipa::path(
    put, path = "/v1/companies/{company}/settings", tag = "settings",
    params(("company" = CompanyId, Path)),
    request_body = IntelligenceSettings,
    responses((status = 200, description = "the settings now in force", body = IntelligenceSettings), TenantErrors),
    security(("bearer" = []))
)]
pub async fn put_settings(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    AppJson(body): AppJson<serde_json::Value>,
) -> ApiResult<AppJson<IntelligenceSettings>> {
    if let Some(obj) = body.as_object() {
        for (key, why) in OPERATOR_ONLY_KEYS {
            if obj.contains_key(key) {
                return Err(ApiError::Invalid(format!("{key}: not a setting; {why}")));
            }
        }
    }
    let settings: IntelligenceSettings =
        serde_json::from_value(body).map_err(|e| ApiError::Invalid(format!("settings: {e}")))?;
    let providers = app.settings.company_or_default(company.as_str()).providers;
    settings
        .validate(&providers)
        .map_err(|(k, p)| ApiError::Invalid(format!("{k}: {p}")))?;
    let body = serde_json::to_vec(&settings).map_err(|e| ApiError::Internal(e.into()))?;
    app.store.put_settings(&company, &body).await?;
    tracing::info!(company = %company, provider = settings.provider.as_str(), "settings updated");
    Ok(AppJson(settings))
}
