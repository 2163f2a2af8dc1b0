//! `GET .../contacts/{contact}/profile`, `POST .../contacts/{contact}/signals`,
//! `DELETE .../contacts/{contact}`.

use crate::analysis::doc::{DOC_NAME, ProfileDoc};
use crate::analysis::merge::{MAX_SIGNALS, validate_signal};
use crate::analysis::pipeline::{analyze_contact, effective_settings};
use crate::http::auth::authorize;
use crate::http::error::{ApiError, ApiResult, AppJson};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
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

fn ids(company: &str, contact: String, app: &AppState, headers: &HeaderMap) -> ApiResult<(CompanyId, ContactId)> {
    let company = authorize(app, headers, company)?;
    let contact = ContactId::parse(contact).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok((company, contact))
}

/// Loads the stored profile; analyses on the spot (builtin) if no job has run yet.
pub async fn load_profile(app: &AppState, company: &CompanyId, contact: &ContactId) -> ApiResult<Profile> {
    if let Some(doc) = app.store.doc(company, contact, DOC_NAME).await? {
        let d: ProfileDoc = serde_json::from_slice(&doc.body).map_err(|e| ApiError::Internal(e.into()))?;
        return Ok(d.profile);
    }
    if app.store.contact(company, contact).await?.is_none() {
        return Err(ApiError::NotFound(format!("no contact {contact}")));
    }
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let out = analyze_contact(app, &rt, company, contact, false)
        .await
        .map_err(ApiError::Internal)?;
    Ok(out.profile)
}

pub async fn get_profile(
    State(app): State<AppState>,
    Path((company, contact)): Path<(String, String)>,
    headers: HeaderMap,
    query: Result<Query<ProfileQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<AppJson<Profile>> {
    let (company, contact) = ids(&company, contact, &app, &headers)?;
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut p = load_profile(&app, &company, &contact).await?;
    if !q.trail {
        p.trail.clear();
    }
    Ok(AppJson(p))
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
    State(app): State<AppState>,
    Path((company, contact)): Path<(String, String)>,
    headers: HeaderMap,
    AppJson(body): AppJson<SignalsBody>,
) -> ApiResult<AppJson<Profile>> {
    let (company, contact) = ids(&company, contact, &app, &headers)?;
    if body.signals.is_empty() || body.signals.len() > 50 {
        return Err(ApiError::Invalid("signals: send between 1 and 50".into()));
    }
    let settings = effective_settings(&app, &company).await.map_err(ApiError::Internal)?;
    let now = Timestamp::now();
    let mut incoming = Vec::new();
    for (i, s) in body.signals.into_iter().enumerate() {
        validate_signal(&s.kind, &s.value, &settings.stages)
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
    record_signals(&app, &company, &contact, incoming).await.map(AppJson)
}

/// Appends signals to the contact's document and re-merges the profile (compare-and-set).
pub async fn record_signals(
    app: &AppState,
    company: &CompanyId,
    contact: &ContactId,
    signals: Vec<Signal>,
) -> ApiResult<Profile> {
    // Make sure a document exists (analyses what is stored, or starts an empty profile).
    if app.store.doc(company, contact, DOC_NAME).await?.is_none()
        && app.store.contact(company, contact).await?.is_some()
    {
        load_profile(app, company, contact).await?;
    }
    for _ in 0..8 {
        let stored = app.store.doc(company, contact, DOC_NAME).await?;
        let (version, mut doc) = match stored {
            Some(d) => (
                d.version,
                serde_json::from_slice::<ProfileDoc>(&d.body).map_err(|e| ApiError::Internal(e.into()))?,
            ),
            None => (
                0,
                ProfileDoc::new(Profile::empty(company.as_str(), Some(contact.as_str()))),
            ),
        };
        let old = doc.profile.clone();
        doc.external.extend(signals.iter().cloned());
        doc.external.sort_by_key(|s| s.observed_at);
        if doc.external.len() > MAX_SIGNALS {
            doc.external.drain(..doc.external.len() - MAX_SIGNALS);
        }
        crate::analysis::merge::apply_external(&mut doc.profile, &doc.external);
        doc.profile.signals.extend(signals.iter().cloned());
        if doc.profile.signals.len() > MAX_SIGNALS {
            let n = doc.profile.signals.len() - MAX_SIGNALS;
            doc.profile.signals.drain(..n);
        }
        let now = Timestamp::now();
        doc.profile.updated_at = Some(now);
        crate::analysis::merge::extend_trail(&old, &mut doc.profile, now);
        let body = serde_json::to_vec(&doc).map_err(|e| ApiError::Internal(e.into()))?;
        if app.store.put_doc(company, contact, DOC_NAME, version, &body).await? {
            return Ok(doc.profile);
        }
    }
    Err(ApiError::Conflict("the profile kept changing; try again".into()))
}

pub async fn delete_contact(
    State(app): State<AppState>,
    Path((company, contact)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let (company, contact) = ids(&company, contact, &app, &headers)?;
    app.store.erase_contact(&company, &contact).await?;
    tracing::info!(company = %company, contact = %contact.masked(), "contact erased");
    Ok(StatusCode::NO_CONTENT)
}
