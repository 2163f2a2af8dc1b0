//! `GET .../contacts/{contact}/profile`, `POST .../contacts/{contact}/signals`,
//! `DELETE .../contacts/{contact}`.

use crate::analysis::merge::validate_signal;
use crate::analysis::pipeline::{self, effective_settings};
use crate::config::IntelligenceSettings;
use crate::http::auth::Tenant;
use crate::http::error::{ApiError, ApiResult, AppJson};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use dossier_core::profile::{Profile, Signal};
use dossier_core::{CompanyId, ContactId};
use jiff::Timestamp;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
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

pub async fn get_profile(
    Tenant(company): Tenant,
    State(app): State<AppState>,
    Path((_, contact)): Path<(String, String)>,
    query: Result<Query<ProfileQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AppJson<serde_json::Value>> {
    let contact = contact_id(contact)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut p = load_profile(&app, &company, &contact).await?;
    if !q.trail {
        p.trail.clear();
    }
    let mut v = serde_json::to_value(&p).map_err(|e| ApiError::Internal(e.into()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("conversation".into(), conversation(&app, &company, &contact).await?);
    }
    Ok(AppJson(v))
}

/// Who handles the conversation now (Conversation Routing): `dossier` or `other` with the other
/// responder's role, since when and how ownership last changed. Without any routing event,
/// dossier is the only responder.
async fn conversation(app: &AppState, company: &CompanyId, contact: &ContactId) -> ApiResult<serde_json::Value> {
    let t = crate::copilot::thread::load(app, company, contact)
        .await
        .map_err(ApiError::Internal)?;
    Ok(match t {
        None => serde_json::json!({ "handled_by": "dossier", "routing": false }),
        Some(t) => serde_json::json!({
            "handled_by": t.handler,
            "role": t.role,
            "since": t.since,
            "via": t.via,
            "description": t.describe(),
            "routing": true,
        }),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalIn {
    pub kind: String,
    pub value: serde_json::Value,
    /// Who says so: `crm`, `dms`, `agent:U123`…
    pub source: String,
    #[serde(default)]
    pub confidence: Option<f32>,
    #[serde(default)]
    pub observed_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsBody {
    pub signals: Vec<SignalIn>,
}

/// Merges outside signals into the contact's profile, with provenance.
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
