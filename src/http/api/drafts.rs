//! `GET /v1/companies/{company}/drafts/stats`: what became of the company's drafts (approved as
//! is, edited then sent with how much was changed, discarded, superseded) and the agents' votes,
//! overall and per language and intent. See [`crate::copilot::drafts::outcomes`].

use crate::copilot::drafts::outcomes::{self, Stats};
use crate::http::auth::Tenant;
use crate::http::error::{ApiResult, AppJson};
use crate::state::AppState;
use axum::extract::State;

pub async fn get_stats(Tenant(company): Tenant, State(app): State<AppState>) -> ApiResult<AppJson<Stats>> {
    Ok(AppJson(outcomes::stats(&app, &company).await?))
}
