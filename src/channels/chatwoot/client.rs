//! Write-back (opt-in, `[chatwoot] write_back = true`): the profile's stage, intent and vehicle of
//! interest on the Chatwoot contact's custom attributes (`dossier_stage`, `dossier_intent`,
//! `dossier_vehicle`), where Chatwoot's sidebar shows them and its filters and automations can
//! use them. Called by the analysis job after the profile is written, never by the webhook (which
//! must answer within Chatwoot's 5 s). Only what changed since the last write is sent again; a
//! failure is logged and retried with the next analysis, never failing the job (the profile is
//! the source of truth, the attributes a copy).

use super::webhook::CONTACT_TTL_SECS;
use crate::state::App;
use dossier_core::{CompanyId, ContactId, Profile};
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

/// The attributes dossier owns on a Chatwoot contact; unknown facts are not sent.
pub fn attributes(p: &Profile) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(s) = &p.stage {
        m.insert("dossier_stage".into(), json!(s.value));
    }
    if let Some(i) = &p.intent {
        m.insert("dossier_intent".into(), json!(i.value));
    }
    if let Some(v) = p.leading_interest() {
        m.insert("dossier_vehicle".into(), json!(v.item));
    }
    m
}

#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    #[error("the Chatwoot API token ({0}) is not set")]
    NoToken(String),
    #[error("Chatwoot answered HTTP {0}")]
    Status(u16),
    #[error("could not reach Chatwoot: {0}")]
    Transport(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Writes the attributes when the company opted in and the contact came through Chatwoot.
/// `Ok(true)` when a request was made and accepted.
pub async fn write_back(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    profile: &Profile,
) -> Result<bool, WriteBackError> {
    let Some(cw) = app
        .settings
        .companies
        .get(company.as_str())
        .and_then(|c| c.chatwoot.as_ref())
        .filter(|cw| cw.write_back)
    else {
        return Ok(false);
    };
    let (Some(base), Some(token_env)) = (&cw.api_base_url, &cw.api_token_env) else {
        return Ok(false);
    };
    let Some(link) = app.store.kv(company, &format!("cw:contact:{contact}")).await? else {
        return Ok(false);
    };
    let Ok(link) = serde_json::from_slice::<Value>(&link) else {
        return Ok(false);
    };
    let (Some(account), Some(cw_contact)) = (link["account"].as_u64(), link["contact"].as_u64()) else {
        return Ok(false);
    };
    let attrs = attributes(profile);
    if attrs.is_empty() {
        return Ok(false);
    }
    let body = json!({ "custom_attributes": attrs });
    let written_key = format!("cw:wb:{contact}");
    let fingerprint = serde_json::to_vec(&body).unwrap_or_default();
    if app.store.kv(company, &written_key).await?.as_deref() == Some(fingerprint.as_slice()) {
        return Ok(false);
    }
    let token = app
        .secrets
        .var(token_env)
        .ok_or_else(|| WriteBackError::NoToken(token_env.clone()))?;
    let url = format!(
        "{}/api/v1/accounts/{account}/contacts/{cw_contact}",
        base.trim_end_matches('/')
    );
    let resp = app
        .http
        .put(url)
        .header("api_access_token", token.expose_secret())
        .json(&body)
        .send()
        .await
        .map_err(|e| WriteBackError::Transport(e.without_url().to_string()))?;
    if !resp.status().is_success() {
        metrics::counter!("dossier_chatwoot_writeback_total", "outcome" => "failed").increment(1);
        return Err(WriteBackError::Status(resp.status().as_u16()));
    }
    app.store
        .put_kv(company, &written_key, &fingerprint, CONTACT_TTL_SECS)
        .await?;
    metrics::counter!("dossier_chatwoot_writeback_total", "outcome" => "written").increment(1);
    Ok(true)
}

/// [`write_back`] for the analysis job: a failure is logged, not returned.
pub async fn after_analysis(app: &App, company: &CompanyId, contact: &ContactId, profile: &Profile) {
    if let Err(e) = write_back(app, company, contact, profile).await {
        tracing::warn!(company = %company, contact = %contact.masked(), error = %e, "Chatwoot write-back failed; the next analysis tries again");
    }
}
