//! `GET /v1/companies/{company}/spend?month=YYYY-MM`: the month's WhatsApp sends and their
//! estimated cost per category (service, utility, marketing, authentication) and currency, from
//! the counters each accepted send adds to (see [`crate::copilot::cost`]). The month defaults to
//! the current one (UTC).

use crate::copilot::cost::{self, Spend};
use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson, TenantErrors};
use crate::state::AppState;
use axum::extract::{Query, State};
use dossier_core::CompanyId;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpendQuery {
    /// `YYYY-MM`; the current month (UTC) when absent.
    #[serde(default)]
    #[param(pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
}

#[utoipa::path(
    get, path = "/v1/companies/{company}/spend", tag = "spend",
    params(("company" = CompanyId, Path), SpendQuery),
    responses((status = 200, body = Spend), TenantErrors),
    security(("bearer" = []))
)]
pub async fn get_spend(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    query: Result<Query<SpendQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AppJson<Spend>> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let month = q
        .month
        .unwrap_or_else(|| jiff::Timestamp::now().strftime("%Y-%m").to_string());
    if !cost::valid_month(&month) {
        return Err(ApiError::BadRequest("month must be YYYY-MM (e.g. 2026-12)".into()));
    }
    Ok(AppJson(
        cost::spend(&app, &company, &month).await.map_err(ApiError::Internal)?,
    ))
}
