//! Bearer tokens: a company's token (from the env variable its config names) opens that company
//! alone; `DOSSIER_ADMIN_TOKEN` opens all. Compared in constant time.

use crate::http::error::ApiError;
use crate::state::App;
use axum::http::HeaderMap;
use dossier_core::CompanyId;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

fn eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Checks the bearer token for `company` and returns the parsed company id.
pub fn authorize(app: &App, headers: &HeaderMap, company: &str) -> Result<CompanyId, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("missing `Authorization: Bearer <token>`".into()))?;
    let id = CompanyId::parse(company).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let known = app.settings.companies.contains_key(company);
    if let Some(admin) = &app.secrets.admin_token
        && eq(token, admin.expose_secret())
    {
        return if known {
            Ok(id)
        } else {
            Err(ApiError::NotFound(format!("unknown company `{company}`")))
        };
    }
    let mut owner = None;
    for (cid, c) in &app.settings.companies {
        if let Some(var) = &c.api_token_env
            && let Some(secret) = app.secrets.var(var)
            && eq(token, secret.expose_secret())
        {
            owner = Some(cid.clone());
        }
    }
    match owner {
        Some(o) if o == company => Ok(id),
        Some(_) => Err(ApiError::Forbidden(format!(
            "this token does not open company `{company}`"
        ))),
        None => Err(ApiError::Unauthorized("unknown token".into())),
    }
}

/// The company a request is for, authorized: the `{company}` path segment with a bearer token
/// that opens it. An extractor from the request head, so a handler lists it before its body and
/// a bad token is refused (401/403) before any body is read or parsed.
pub struct Tenant(pub CompanyId);

impl axum::extract::FromRequestParts<crate::state::AppState> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let company = params
            .iter()
            .find(|(k, _)| *k == "company")
            .map(|(_, v)| v.to_owned())
            .ok_or_else(|| ApiError::BadRequest("no company in the path".into()))?;
        authorize(state, &parts.headers, &company).map(Tenant)
    }
}
