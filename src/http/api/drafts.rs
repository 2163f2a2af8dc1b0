//! `GET /v1/companies/{company}/drafts/stats`: what became of the company's drafts (approved as
//! is, edited then sent with how much was changed, discarded, superseded) and the agents' votes,
//! overall and per language and intent. See [`crate::copilot::drafts::outcomes`].

use crate::copilot::drafts::outcomes::{self, Stats};
use crate::http::auth::Tenant;
use crate::http::error::{ApiResult, AppJson, TenantErrors};
use crate::state::AppState;
use axum::extract::State;
use dossier_core::CompanyId;

#[utoipa::path(
    get, path = "/v1/companies/{company}/drafts/stats", tag = "drafts",
    params(("company" = CompanyId, Path)),
    responses((status = 200, body = Stats), TenantErrors),
    security(("bearer" = []))
)]
pub async fn get_stats(Tenant(company): Tenant, State(app): State<AppState>) -> ApiResult<AppJson<Stats>> {
    Ok(AppJson(outcomes::stats(&app, &company).await?))
}
