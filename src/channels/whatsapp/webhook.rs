//! `GET /webhooks/whatsapp` (Meta's verification handshake) and `POST /webhooks/whatsapp`.
//!
//! The POST handler verifies the signature on the raw bytes, then parses, routes each change by
//! `metadata.phone_number_id`, stores each message (deduplicated per message id) and queues it for
//! analysis, and records statuses — and only then answers 200. What cannot be used (bad JSON under
//! a valid signature, an unknown phone number) goes to the dead-letter stream and is still answered
//! 200: Meta would otherwise retry it for 7 days. A store failure answers 503 so Meta retries.

use super::payload::{Envelope, WaMessage, WaStatus, parse_messages_value};
use super::signature;
use crate::http::error::{ApiError, ErrorBody};
use crate::ingest::ingest;
use crate::state::AppState;
use crate::store::{ContactUpdate, DeadKind, StatusUpdate};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use dossier_core::{CompanyId, ContactId, MessageId};
use metrics::counter;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// Meta's handshake: `hub.mode=subscribe&hub.verify_token=…&hub.challenge=…` → the challenge.
#[utoipa::path(
    get, path = "/webhooks/whatsapp", tag = "webhooks",
    params(
        ("hub.mode" = String, Query, example = "subscribe"),
        ("hub.verify_token" = String, Query),
        ("hub.challenge" = String, Query),
    ),
    responses(
        (status = 200, description = "the challenge, echoed", body = String, content_type = "text/plain"),
        (status = 400, description = "hub.mode is not subscribe, or no challenge", body = ErrorBody),
        (status = 403, description = "wrong verify token", body = ErrorBody),
        (status = 503, description = "WHATSAPP_VERIFY_TOKEN is not set", body = ErrorBody),
    )
)]
pub async fn verify(State(app): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Result<String, ApiError> {
    let expected = app
        .secrets
        .whatsapp_verify_token
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured("WHATSAPP_VERIFY_TOKEN is not set".into()))?;
    let mode = q.get("hub.mode").map(String::as_str);
    let token = q.get("hub.verify_token").map(String::as_str).unwrap_or("");
    let ok: bool = token.as_bytes().ct_eq(expected.expose_secret().as_bytes()).into();
    match (mode, ok, q.get("hub.challenge")) {
        (Some("subscribe"), true, Some(challenge)) => Ok(challenge.clone()),
        (Some("subscribe"), true, None) => Err(ApiError::BadRequest("missing hub.challenge".into())),
        (Some("subscribe"), false, _) => Err(ApiError::Forbidden("hub.verify_token does not match".into())),
        _ => Err(ApiError::BadRequest("hub.mode must be subscribe".into())),
    }
}

/// What one POST did, for logs.
#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub(super) accepted: u32,
    pub(super) duplicates: u32,
    pub(super) statuses: u32,
    pub(super) dead: u32,
}

/// Meta's Cloud API webhook. The signature is checked over the raw body before anything is
/// parsed; every message is stored before the 200; what cannot be read is dead-lettered (and
/// still answered 200, so Meta does not redeliver it forever).
#[utoipa::path(
    post, path = "/webhooks/whatsapp", tag = "webhooks",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body with the app secret>")),
    request_body(content = Object, description = "Meta's webhook envelope (`object`, `entry[].changes[]`)"),
    responses(
        (status = 200, description = "stored (or dead-lettered)", body = String, content_type = "text/plain"),
        (status = 401, description = "missing or wrong signature", body = ErrorBody),
        (status = 413, description = "larger than the body limit", body = ErrorBody),
        (status = 503, description = "WHATSAPP_APP_SECRET is not set, or the store did not answer (Meta retries)", body = ErrorBody),
    )
)]
pub async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<&'static str, ApiError> {
    let secret = app
        .secrets
        .whatsapp_app_secret
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured("WHATSAPP_APP_SECRET is not set".into()))?;
    let header = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    if let Err(e) = signature::verify(secret.expose_secret().as_bytes(), header, &body) {
        counter!("dossier_webhook_messages_total", "outcome" => "rejected").increment(1);
        return Err(ApiError::Unauthorized(e.to_string()));
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            dead_letter(
                &app,
                &format!("body is not a webhook envelope: {e}"),
                &String::from_utf8_lossy(&body),
            )
            .await?;
            return Ok("ok");
        }
    };
    let mut outcome = Outcome::default();
    for entry in &envelope.entry {
        for change in &entry.changes {
            match change.field.as_str() {
                "messages" => {}
                "standby" | "messaging_handovers" | "smb_message_echoes" | "history" => {
                    super::events::receive(&app, &change.field, &change.value_tree(), &mut outcome).await?;
                    continue;
                }
                "template_category_update" => {
                    super::events::template_category(&app, entry.id.as_deref(), &change.value_tree(), &mut outcome)
                        .await?;
                    continue;
                }
                _ => {
                    counter!("dossier_webhook_changes_ignored_total", "field" => change.field.clone()).increment(1);
                    continue;
                }
            }
            let value = match parse_messages_value(&change.value) {
                Ok(v) => v,
                Err(e) => {
                    dead_letter(
                        &app,
                        &format!("unreadable `messages` change: {e}"),
                        &change.value.to_string(),
                    )
                    .await?;
                    outcome.dead += 1;
                    continue;
                }
            };
            let pnid = &value.metadata.phone_number_id;
            let Some(company) = app.settings.by_phone_number_id.get(pnid) else {
                dead_letter(
                    &app,
                    &format!("unknown phone_number_id {pnid}"),
                    &change.value.to_string(),
                )
                .await?;
                outcome.dead += 1;
                continue;
            };
            let company = CompanyId::parse(company.clone()).map_err(|e| ApiError::Internal(e.into()))?;
            if !value.errors.is_empty() {
                tracing::warn!(company = %company, errors = %serde_json::Value::from(value.errors.clone()), "WhatsApp reported errors in a webhook");
                counter!("dossier_webhook_value_errors_total").increment(value.errors.len() as u64);
            }
            for m in &value.messages {
                match store_message(&app, &company, m, &value.contacts, None).await? {
                    (Stored::New, Some(contact)) => {
                        outcome.accepted += 1;
                        // Routing gave this message to dossier (after a `release`, say): only
                        // checked for companies that use routing, so others keep one round trip.
                        if crate::copilot::thread::uses_routing(&company)
                            && let Some(ts) = m.timestamp.to_timestamp()
                            && let Err(e) = crate::copilot::thread::on_routed(&app, &company, &contact, ts, pnid).await
                        {
                            tracing::warn!(error = %e, "could not update the thread state");
                        }
                    }
                    (Stored::New, None) => outcome.accepted += 1,
                    (Stored::Duplicate, _) => outcome.duplicates += 1,
                    (Stored::Dead, _) => outcome.dead += 1,
                }
            }
            for s in &value.statuses {
                if store_status(&app, &company, s).await? {
                    outcome.statuses += 1;
                } else {
                    outcome.dead += 1;
                }
            }
        }
    }
    counter!("dossier_webhook_messages_total", "outcome" => "accepted").increment(outcome.accepted.into());
    counter!("dossier_webhook_messages_total", "outcome" => "duplicate").increment(outcome.duplicates.into());
    tracing::debug!(?outcome, "webhook handled");
    Ok("ok")
}

pub(super) enum Stored {
    New,
    Duplicate,
    Dead,
}

/// Stores one customer message (from `messages`, or a `standby` copy when `source` says so);
/// returns what happened and the contact it was stored for.
pub(super) async fn store_message(
    app: &AppState,
    company: &CompanyId,
    m: &WaMessage,
    contacts: &[super::payload::WaContact],
    source: Option<&'static str>,
) -> Result<(Stored, Option<ContactId>), ApiError> {
    // The contact block that belongs to this sender (by wa_id or user id), else the only one.
    let block = contacts
        .iter()
        .find(|c| (c.wa_id.is_some() && c.wa_id == m.from) || (c.user_id.is_some() && c.user_id == m.from_user_id))
        .or_else(|| (contacts.len() == 1).then(|| &contacts[0]));
    let wa_id = m.from.clone().or_else(|| block.and_then(|b| b.wa_id.clone()));
    let user_id = m.from_user_id.clone().or_else(|| block.and_then(|b| b.user_id.clone()));
    let key = wa_id.clone().or_else(|| user_id.clone());
    let contact = match key.map(ContactId::parse) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            dead_letter(app, &format!("message {}: sender id: {e}", m.id), &m.id).await?;
            return Ok((Stored::Dead, None));
        }
        None => {
            dead_letter(
                app,
                &format!("message {}: no sender id (from / from_user_id)", m.id),
                &m.id,
            )
            .await?;
            return Ok((Stored::Dead, None));
        }
    };
    let mut message = match m.to_message() {
        Ok(msg) => msg,
        Err(e) => {
            dead_letter(app, &format!("message {}: {e}", m.id), &m.id).await?;
            return Ok((Stored::Dead, None));
        }
    };
    if let Some(source) = source {
        mark_source(&mut message, source);
    }
    let update = ContactUpdate {
        profile_name: block.and_then(|b| b.profile.as_ref()).and_then(|p| p.name.clone()),
        wa_id,
        user_id,
    };
    let stored = match ingest(app, source.unwrap_or("whatsapp"), company, &contact, &message, &update).await? {
        crate::store::Appended::New => Stored::New,
        crate::store::Appended::Duplicate => Stored::Duplicate,
    };
    Ok((stored, Some(contact)))
}

/// Records where a message came from in its `detail.source` (see [`crate::store::message_source`]).
pub(super) fn mark_source(message: &mut dossier_core::Message, source: &str) {
    let mut detail = message.detail.take().unwrap_or_else(|| serde_json::json!({}));
    if let Some(o) = detail.as_object_mut() {
        o.insert("source".into(), serde_json::Value::String(source.to_owned()));
    }
    message.detail = Some(detail);
}

async fn store_status(app: &AppState, company: &CompanyId, s: &WaStatus) -> Result<bool, ApiError> {
    let key = s.recipient_id.clone().or_else(|| s.recipient_user_id.clone());
    let (Some(Ok(contact)), Ok(id), Some(ts)) = (
        key.map(ContactId::parse),
        MessageId::parse(s.id.clone()),
        s.timestamp.to_timestamp(),
    ) else {
        dead_letter(
            app,
            &format!("status {}: unusable recipient, id or timestamp", s.id),
            &s.id,
        )
        .await?;
        return Ok(false);
    };
    let update = StatusUpdate {
        status: s.status.clone(),
        timestamp: ts,
        errors: s.errors.clone(),
    };
    app.store.record_status(company, &contact, &id, &update).await?;
    counter!("dossier_webhook_statuses_total", "status" => s.status.clone()).increment(1);
    if let Some(pricing) = s.pricing() {
        store_pricing(app, company, &contact, &id, pricing).await?;
    }
    Ok(true)
}

/// Keeps what Meta says an outgoing message is billed as (`pricing.category`, `pricing_model`) on
/// the message itself: statuses keep only the highest-ranked state, and `read` comes without
/// `pricing`, so the pricing of `sent`/`delivered` would otherwise be lost.
async fn store_pricing(
    app: &AppState,
    company: &CompanyId,
    contact: &ContactId,
    id: &MessageId,
    pricing: serde_json::Value,
) -> Result<(), ApiError> {
    let Some(mut m) = app
        .store
        .messages_by_id(company, contact, std::slice::from_ref(id))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let mut detail = m.detail.take().unwrap_or_else(|| serde_json::json!({}));
    if detail.get("pricing") == Some(&pricing) {
        m.detail = Some(detail);
        return Ok(());
    }
    if let Some(o) = detail.as_object_mut() {
        o.insert("pricing".into(), pricing);
    }
    m.detail = Some(detail);
    // The stored body carries no delivery state of its own: statuses are applied on read.
    m.status = None;
    app.store.replace_message(company, contact, &m).await?;
    Ok(())
}

pub(super) async fn dead_letter(app: &AppState, reason: &str, payload: &str) -> Result<(), ApiError> {
    tracing::warn!(reason, "webhook content dead-lettered");
    counter!("dossier_webhook_messages_total", "outcome" => "dead_lettered").increment(1);
    app.store.dead_letter(DeadKind::Webhooks, reason, payload).await?;
    Ok(())
}
