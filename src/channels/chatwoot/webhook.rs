//! `POST /webhooks/chatwoot`: a Chatwoot account (or API-inbox) webhook.
//!
//! Order matters. The signature is checked on the raw bytes first, against the secret of each
//! company that has a `[chatwoot]` section (a handful at most): the secret that verifies tells
//! which company sent it, before a byte is parsed. Then the timestamp window, the delivery id
//! (`X-Chatwoot-Delivery`, kept 8 days: a replayed delivery is answered `duplicate`), and the
//! account and inbox, which must be that same company's (one company's secret cannot write into
//! another's contacts). A `message_created` that is conversation — incoming (the customer) or
//! outgoing (an agent), never a private note, never Chatwoot's own activity lines — goes through
//! [`crate::ingest::ingest`], keyed by its `source_id` (the WhatsApp `wamid`) so the same message
//! arriving through the Cloud API webhook too is stored once. Only then is it answered. Chatwoot
//! waits 5 s and never retries, so nothing slow happens here: analysis and write-back are jobs.

use super::payload::{Event, Kind};
use super::signature::{self, SignatureError};
use crate::config::company::CompanyChatwoot;
use crate::copilot::contact::phone_digits;
use crate::http::error::{ApiError, ErrorBody};
use crate::ingest::ingest;
use crate::state::AppState;
use crate::store::{Appended, ContactUpdate, DeadKind};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId};
use metrics::counter;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// How long a delivery id is remembered (as long as message ids).
const DELIVERY_TTL_SECS: u64 = 8 * 24 * 3600;
/// How long the Chatwoot contact of a contact is remembered for write-back.
pub const CONTACT_TTL_SECS: u64 = 90 * 24 * 3600;

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn outcome(status: &'static str, reason: Option<String>) -> Json<Outcome> {
    counter!("dossier_chatwoot_webhooks_total", "outcome" => status).increment(1);
    Json(Outcome {
        status: status.to_owned(),
        reason,
    })
}

/// The company whose webhook secret signs `body`.
fn signer<'a>(app: &'a AppState, headers: &HeaderMap, body: &[u8]) -> Result<(&'a str, &'a CompanyChatwoot), ApiError> {
    let ts = header(headers, "x-chatwoot-timestamp");
    let sig = header(headers, "x-chatwoot-signature");
    let mut configured = false;
    let mut last = SignatureError::Missing;
    for (id, c) in &app.settings.companies {
        let Some(cw) = &c.chatwoot else { continue };
        let Some(secret) = app.secrets.var(&cw.webhook_secret_env) else {
            continue;
        };
        configured = true;
        match signature::verify(secret.expose_secret().as_bytes(), ts, sig, body) {
            Ok(()) => return Ok((id.as_str(), cw)),
            Err(e) => last = e,
        }
    }
    if !configured {
        return Err(ApiError::NotConfigured(
            "no company has a Chatwoot webhook secret set ([chatwoot] webhook_secret_env)".into(),
        ));
    }
    counter!("dossier_chatwoot_webhooks_total", "outcome" => "rejected").increment(1);
    // Chatwoot #13809: the secret shown in its UI has been seen to differ from the signing key.
    tracing::warn!(reason = %last, "Chatwoot webhook refused: no company's secret verifies it");
    Err(ApiError::Unauthorized(last.to_string()))
}

/// What a delivery became.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Outcome {
    /// `stored`, `duplicate` (a replayed delivery or a message already stored, e.g. through the
    /// Cloud API webhook) or `ignored` (not conversation: other events, private notes, activity).
    #[schema(example = "stored")]
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[utoipa::path(
    post, path = "/webhooks/chatwoot", tag = "webhooks",
    params(
        ("X-Chatwoot-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"{timestamp}.{raw body}\" with the company's webhook secret>"),
        ("X-Chatwoot-Timestamp" = String, Header, description = "unix seconds; within [chatwoot] max_clock_skew_secs (300) of the server's clock"),
        ("X-Chatwoot-Delivery" = Option<String>, Header, description = "the delivery's id; a repeat is answered `duplicate`"),
    ),
    request_body(content = Object, description = "a Chatwoot webhook event (`event`, `account`, `inbox`, `conversation`, …)"),
    responses(
        (status = 200, description = "stored, duplicate or ignored", body = Outcome),
        (status = 400, description = "not an event, or a bad delivery id", body = ErrorBody),
        (status = 401, description = "missing or wrong signature, or a timestamp outside the window", body = ErrorBody),
        (status = 403, description = "the account or inbox is not the signing company's", body = ErrorBody),
        (status = 413, description = "larger than the body limit", body = ErrorBody),
        (status = 503, description = "no company has a Chatwoot webhook secret set, or the store did not answer", body = ErrorBody),
    )
)]
pub async fn receive(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Outcome>, ApiError> {
    let (company, cw) = signer(&app, &headers, &body)?;
    let now = jiff::Timestamp::now().as_second();
    if let Err(e) = signature::check_time(header(&headers, "x-chatwoot-timestamp"), now, cw.max_clock_skew_secs) {
        counter!("dossier_chatwoot_webhooks_total", "outcome" => "stale").increment(1);
        return Err(ApiError::Unauthorized(e.to_string()));
    }
    let company_id = CompanyId::parse(company).map_err(|e| ApiError::Internal(e.into()))?;
    let event: Event = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            let reason = format!("Chatwoot webhook body is not an event: {e}");
            app.store
                .dead_letter(DeadKind::Webhooks, &reason, &String::from_utf8_lossy(&body))
                .await?;
            counter!("dossier_chatwoot_webhooks_total", "outcome" => "malformed").increment(1);
            return Err(ApiError::BadRequest(reason));
        }
    };
    if event.account_id() != Some(cw.account_id) {
        let reason = format!(
            "account {} is not this company's Chatwoot account",
            event
                .account_id()
                .map(|a| a.to_string())
                .unwrap_or_else(|| "(none)".into())
        );
        app.store
            .dead_letter(DeadKind::Webhooks, &reason, &String::from_utf8_lossy(&body))
            .await?;
        return Err(ApiError::Forbidden(reason));
    }
    if let Some(inbox) = event.inbox_id() {
        match app.settings.by_chatwoot_inbox.get(&(cw.account_id, inbox)) {
            Some(owner) if owner == company => {}
            Some(_) => {
                return Err(ApiError::Forbidden(format!("inbox {inbox} belongs to another company")));
            }
            None => {
                return Ok(outcome(
                    "ignored",
                    Some(format!("inbox {inbox} is not mapped to a company")),
                ));
            }
        }
    } else if event.event.starts_with("message_") {
        return Ok(outcome("ignored", Some("a message event without an inbox".into())));
    }
    if let Some(delivery) = header(&headers, "x-chatwoot-delivery") {
        let d = delivery.trim();
        if d.is_empty() || d.len() > 64 || !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ApiError::BadRequest("X-Chatwoot-Delivery is not a delivery id".into()));
        }
        if !app
            .store
            .claim_kv(&company_id, &format!("cw:delivery:{d}"), DELIVERY_TTL_SECS)
            .await?
        {
            return Ok(outcome("duplicate", None));
        }
    }
    if event.event != "message_created" {
        return Ok(outcome(
            "ignored",
            Some(format!("`{}` carries no message", event.event)),
        ));
    }
    store_message(&app, &company_id, cw, &event).await
}

/// Our contact id for the conversation's contact: the phone's digits (the `wa_id`, as the Cloud
/// API webhook keys it), else a digits-only `contact_inbox.source_id`, else the contact's
/// identifier, else `cw.<Chatwoot contact id>` for channels without a phone.
fn contact_id(e: &Event) -> Option<ContactId> {
    let person = e.contact();
    if let Some(d) = person.and_then(|p| p.phone_number.as_deref()).and_then(phone_digits) {
        return ContactId::parse(d).ok();
    }
    if let Some(s) = e.contact_source_id()
        && !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit())
        && let Ok(id) = ContactId::parse(s)
    {
        return Some(id);
    }
    if let Some(id) = person
        .and_then(|p| p.identifier.as_deref())
        .and_then(|i| ContactId::parse(i.trim()).ok())
    {
        return Some(id);
    }
    e.chatwoot_contact_id()
        .and_then(|id| ContactId::parse(format!("cw.{id}")).ok())
}

async fn store_message(
    app: &AppState,
    company: &CompanyId,
    cw: &CompanyChatwoot,
    e: &Event,
) -> Result<Json<Outcome>, ApiError> {
    if e.private == Some(true) {
        return Ok(outcome("ignored", Some("a private note is not conversation".into())));
    }
    let direction = match e.kind() {
        Kind::Incoming => Direction::In,
        Kind::Outgoing => Direction::Out,
        other => {
            return Ok(outcome(
                "ignored",
                Some(format!("message_type {other:?} is not conversation")),
            ));
        }
    };
    let Some(contact) = contact_id(e) else {
        return Ok(outcome("ignored", Some("no contact to key the message by".into())));
    };
    let source = e.source_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let id = match source {
        Some(s) => MessageId::parse(s).ok(),
        None => e
            .message_id()
            .and_then(|m| MessageId::parse(format!("cw.{}.{m}", cw.account_id)).ok()),
    };
    let Some(id) = id else {
        return Ok(outcome("ignored", Some("the message has no usable id".into())));
    };
    let text = e.content.clone().filter(|t| !t.trim().is_empty());
    let kind = if text.is_some() {
        "text".to_owned()
    } else if let Some(t) = e
        .attachments
        .first()
        .and_then(|a| a.get("file_type"))
        .and_then(Value::as_str)
    {
        t.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(32)
            .collect()
    } else {
        return Ok(outcome("ignored", Some("an empty message".into())));
    };
    let conversation = e.conversation.as_ref().and_then(|c| c.id);
    let message = Message {
        id,
        direction,
        timestamp: e.created_at().unwrap_or_else(jiff::Timestamp::now),
        text,
        kind: Some(kind),
        status: None,
        detail: Some(json!({ "source": "chatwoot", "chatwoot": {
            "account": cw.account_id, "conversation": conversation, "message": e.message_id(),
            "in_reply_to": e.content_attributes.as_ref().and_then(|a| a.get("in_reply_to")).cloned(),
        } })),
    };
    let update = ContactUpdate {
        profile_name: e
            .contact()
            .and_then(|p| p.name.clone())
            .filter(|n| !n.trim().is_empty()),
        wa_id: contact.is_phone().then(|| contact.to_string()),
        user_id: None,
    };
    let appended = ingest(app, "chatwoot", company, &contact, &message, &update).await?;
    if let Some(cw_contact) = e.chatwoot_contact_id() {
        let link = json!({ "account": cw.account_id, "contact": cw_contact }).to_string();
        app.store
            .put_kv(
                company,
                &format!("cw:contact:{contact}"),
                link.as_bytes(),
                CONTACT_TTL_SECS,
            )
            .await?;
    }
    tracing::debug!(company = %company, contact = %contact.masked(), ?appended, "Chatwoot message");
    Ok(match appended {
        Appended::New => outcome("stored", None),
        Appended::Duplicate => outcome("duplicate", None),
    })
}
