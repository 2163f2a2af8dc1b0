//! `GET .../contacts/{contact}/profile`, `POST .../contacts/{contact}/signals`,
//! `DELETE .../contacts/{contact}`.

use crate::analysis::merge::validate_signal;
use crate::analysis::pipeline::{self, effective_settings};
use crate::config::IntelligenceSettings;
use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson, ErrorBody, TenantErrors};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use dossier_core::profile::{Profile, Signal};
use dossier_core::{CompanyId, ContactId};
use jiff::Timestamp;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// Include how each fact changed over time.
    #[serde(default)]
    pub trail: bool,
}

fn contact_id(contact: String) -> ApiResult<ContactId> {
    ContactId::parse(contact).map_err(|e| ApiError::BadRequest(e.to_string()))
}

/// The contact's profile (as stored, or the builtin view before the worker ran; never written
/// here), or 404.
pub async fn load_profile(app: &AppState, company: &CompanyId, contact: &ContactId) -> ApiResult<Profile> {
    crate::analysis::pipeline::read_profile(app, company, contact)
        .await
        .map_err(ApiError::Internal)?
        .ok_or_else(|| ApiError::NotFound(format!("no contact {contact}")))
}

/// The smart profile: as stored, or the builtin view of the conversation before the worker ran.
#[utoipa::path(
    get, path = "/v1/companies/{company}/contacts/{contact}/profile", tag = "profiles",
    params(("company" = CompanyId, Path), ("contact" = ContactId, Path), ProfileQuery),
    responses((status = 200, body = ProfileReply), TenantErrors),
    security(("bearer" = []))
)]
pub async fn get_profile(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, contact)): Path<(String, String)>,
    query: Result<Query<ProfileQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AppJson<ProfileReply>> {
    let contact = contact_id(contact)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut profile = load_profile(&app, &company, &contact).await?;
    if !q.trail {
        profile.trail.clear();
    }
    let conversation = conversation(&app, &company, &contact).await?;
    Ok(AppJson(ProfileReply { profile, conversation }))
}

/// The profile, and who handles the conversation now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProfileReply {
    #[serde(flatten)]
    pub profile: Profile,
    pub conversation: Conversation,
}

/// Who handles the conversation (Conversation Routing).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub handled_by: crate::copilot::thread::Handler,
    /// Whether any routing event was seen; without one, dossier is the only responder.
    pub routing: bool,
    /// The other responder's role, as Meta names it (`ai_agent`, `primary`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub since: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<crate::copilot::thread::Via>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Who handles the conversation now (Conversation Routing): `dossier` or `other` with the other
/// responder's role, since when and how ownership last changed. Without any routing event,
/// dossier is the only responder.
async fn conversation(app: &AppState, company: &CompanyId, contact: &ContactId) -> ApiResult<Conversation> {
    let t = crate::copilot::thread::load(app, company, contact)
        .await
        .map_err(ApiError::Internal)?;
    Ok(match t {
        None => Conversation {
            handled_by: crate::copilot::thread::Handler::Dossier,
            routing: false,
            role: None,
            since: None,
            via: None,
            description: None,
        },
        Some(t) => Conversation {
            description: Some(t.describe()),
            handled_by: t.handler,
            routing: true,
            role: t.role,
            since: Some(t.since),
            via: Some(t.via),
        },
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalIn {
    /// A profile field (`stage`, `budget`, …) or one of the company's own fields.
    pub kind: String,
    pub value: serde_json::Value,
    /// Who says so: `crm`, `dms`, `agent:U123`…
    pub source: String,
    #[serde(default)]
    pub confidence: Option<f32>,
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub observed_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalsBody {
    /// 1 to 50 signals.
    #[schema(min_items = 1, max_items = 50)]
    pub signals: Vec<SignalIn>,
}

/// Merges outside signals into the contact's profile, with provenance.
#[utoipa::path(
    post, path = "/v1/companies/{company}/contacts/{contact}/signals", tag = "profiles",
    params(("company" = CompanyId, Path), ("contact" = ContactId, Path)),
    request_body = SignalsBody,
    responses(
        (status = 200, description = "the profile with the signals merged", body = Profile),
        (status = 409, description = "the profile kept changing under concurrent writers; retry", body = ErrorBody),
        TenantErrors,
    ),
    security(("bearer" = []))
)]
pub async fn post_signals(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, contact)): Path<(String, String)>,
    AppJson(body): AppJson<SignalsBody>,
) -> ApiResult<AppJson<Profile>> {
    let contact = contact_id(contact)?;
    if body.signals.is_empty() || body.signals.len() > 50 {
        return Err(ApiError::Invalid("signals: send between 1 and 50".into()));
    }
    let settings = effective_settings(&app, &company).await.map_err(ApiError::Internal)?;
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("no company {company}")))?;
    let now = Timestamp::now();
    let mut incoming = Vec::new();
    for (i, s) in body.signals.into_iter().enumerate() {
        validate_signal(&s.kind, &s.value, &settings.stages, &rt.config.fields)
            .map_err(|e| ApiError::Invalid(format!("signals[{i}].{e}")))?;
        if s.source.trim().is_empty() {
            return Err(ApiError::Invalid(format!(
                "signals[{i}].source: must name the system or person"
            )));
        }
        let confidence = s.confidence.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&confidence) {
            return Err(ApiError::Invalid(format!(
                "signals[{i}].confidence: must be between 0 and 1"
            )));
        }
        incoming.push(Signal {
            kind: s.kind,
            value: s.value,
            confidence,
            source: s.source,
            evidence: Vec::new(),
            observed_at: s.observed_at.unwrap_or(now).min(now),
        });
    }
    record_signals(&app, &settings, &company, &contact, incoming)
        .await
        .map(AppJson)
}

/// Merges signals into the contact's profile document (the one writer, compare-and-set).
pub async fn record_signals(
    app: &AppState,
    settings: &IntelligenceSettings,
    company: &CompanyId,
    contact: &ContactId,
    signals: Vec<Signal>,
) -> ApiResult<Profile> {
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let out = pipeline::apply(
        app,
        &rt,
        settings,
        company,
        contact,
        &pipeline::Change::Signals(signals),
    )
    .await
    .map_err(|e| match e.downcast::<crate::store::StoreError>() {
        Ok(s) => ApiError::from(s),
        Err(e) => ApiError::Conflict(format!("the profile kept changing; try again ({e})")),
    })?;
    Ok(out.profile)
}

/// Erases everything kept about the contact (messages, profile, drafts).
#[utoipa::path(
    delete, path = "/v1/companies/{company}/contacts/{contact}", tag = "profiles",
    params(("company" = CompanyId, Path), ("contact" = ContactId, Path)),
    responses((status = 204, description = "erased (also when there was nothing)"), TenantErrors),
    security(("bearer" = []))
)]
pub async fn delete_contact(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, contact)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let contact = contact_id(contact)?;
    app.store.erase_contact(&company, &contact).await?;
    tracing::info!(company = %company, contact = %contact.masked(), "contact erased");
    Ok(StatusCode::NO_CONTENT)
}
