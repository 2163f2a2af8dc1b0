//! `POST /v1/companies/{company}/tools/{tool}`: the five business tools over HTTP.

use crate::http::api::profile::load_profile;
use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson, TenantErrors};
use crate::state::AppState;
use axum::extract::{Path, State};
use dossier_core::{CompanyId, ContactId};
use dossier_tools::ToolError;

/// Calls one business tool with its JSON input (docs/tools.md gives each tool's input and
/// result); `recommend_programs` may name a `contact` whose profile feeds the eligibility check.
#[utoipa::path(
    post, path = "/v1/companies/{company}/tools/{tool}", tag = "tools",
    params(
        ("company" = CompanyId, Path),
        ("tool" = String, Path, description = "inventory_search, lowest_price, finance_payment, finance_rate or recommend_programs"),
    ),
    request_body(content = Object, description = "the tool's input"),
    responses((status = 200, description = "the tool's result", body = Object), TenantErrors),
    security(("bearer" = []))
)]
pub async fn call_tool(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, tool)): Path<(String, String)>,
    AppJson(input): AppJson<serde_json::Value>,
) -> ApiResult<AppJson<serde_json::Value>> {
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    // `recommend_programs` may name a contact: its stored profile feeds the eligibility check.
    let profile = match input.get("contact").and_then(|c| c.as_str()) {
        Some(c) if tool == "recommend_programs" => {
            let contact = ContactId::parse(c).map_err(|e| ApiError::Invalid(format!("contact: {e}")))?;
            Some(load_profile(&app, &company, &contact).await?)
        }
        _ => None,
    };
    rt.tools
        .call(&tool, input, profile.as_ref())
        .map(AppJson)
        .map_err(tool_error)
}

pub fn tool_error(e: ToolError) -> ApiError {
    match e {
        ToolError::UnknownTool(t) => ApiError::NotFound(format!(
            "unknown tool `{t}`; tools: {}",
            dossier_tools::TOOL_NAMES.join(", ")
        )),
        other => ApiError::Invalid(other.to_string()),
    }
}
