//! What the webhook does with the 2026 fields (read by [`super::fields`]):
//!
//! - `standby`: copies of customer messages (stored as customer messages, marked `standby`) and
//!   echoes of the active responder's messages (stored as business messages: the profile learns
//!   from them, no draft follows them); the thread is marked as held by another responder.
//! - `messaging_handovers`: who handles the thread now, per contact ([`crate::copilot::thread`]).
//! - `smb_message_echoes`: what the salesperson typed in the WhatsApp Business app, stored as
//!   business messages; its edits and revokes are applied to the business's own stored message,
//!   and refused for a customer's.
//! - `history`: past chats, stored in time order, deduplicated, without drafts (history messages
//!   never ask for a reply) and with one analysis per contact after the chunk.
//!
//! Every item is routed by the change's `metadata.phone_number_id` to its company, like
//! `messages`; an item that cannot be used is dead-lettered alone and the rest of the batch is
//! still stored, all before the webhook answers.

use super::fields::{self, HandoverKind};
use super::payload::{Content, WaMessage};
use super::webhook::{Outcome, Stored, dead_letter, mark_source, store_message};
use crate::copilot::thread::{self, Handler, Thread, Via};
use crate::http::error::ApiError;
use crate::ingest::ingest;
use crate::jobs::job::Job;
use crate::state::AppState;
use crate::store::{Appended, ContactUpdate};
use dossier_core::{CompanyId, ContactId, Direction, MessageId};
use jiff::Timestamp;
use metrics::counter;
use serde_json::{Value, json};

/// Handles one `standby`, `messaging_handovers`, `smb_message_echoes` or `history` change.
pub(super) async fn receive(app: &AppState, field: &str, value: &Value, outcome: &mut Outcome) -> Result<(), ApiError> {
    counter!("dossier_webhook_changes_total", "field" => field.to_owned()).increment(1);
    let meta = match fields::metadata(value) {
        Ok(m) => m,
        Err(e) => {
            dead_letter(app, &format!("unreadable `{field}` change: {e}"), &value.to_string()).await?;
            outcome.dead += 1;
            return Ok(());
        }
    };
    let pnid = meta.phone_number_id.as_str();
    let Some(company) = app.settings.by_phone_number_id.get(pnid) else {
        dead_letter(
            app,
            &format!("`{field}` for unknown phone_number_id {pnid}"),
            &value.to_string(),
        )
        .await?;
        outcome.dead += 1;
        return Ok(());
    };
    let company = CompanyId::parse(company.clone()).map_err(|e| ApiError::Internal(e.into()))?;
    match field {
        "standby" => standby(app, &company, pnid, value, outcome).await,
        "messaging_handovers" => handovers(app, &company, pnid, value, outcome).await,
        "smb_message_echoes" => {
            for m in fields::messages(value, &["message_echoes"]) {
                let r = match m {
                    Ok(m) => store_echo(app, &company, &m, "business_app").await?,
                    Err(e) => dead(app, &format!("smb_message_echoes: {e}"), outcome).await?,
                };
                count(outcome, r);
            }
            Ok(())
        }
        "history" => history(app, &company, meta.display_phone_number.as_deref(), value, outcome).await,
        _ => Ok(()),
    }
}

fn count(outcome: &mut Outcome, s: Stored) {
    match s {
        Stored::New => outcome.accepted += 1,
        Stored::Duplicate => outcome.duplicates += 1,
        Stored::Dead => outcome.dead += 1,
    }
}

async fn dead(app: &AppState, reason: &str, _outcome: &mut Outcome) -> Result<Stored, ApiError> {
    dead_letter(app, reason, "").await?;
    Ok(Stored::Dead)
}

fn contact_of(wa_id: Option<&String>, user_id: Option<&String>) -> Option<Result<ContactId, String>> {
    wa_id
        .or(user_id)
        .map(|k| ContactId::parse(k.clone()).map_err(|e| e.to_string()))
}

async fn standby(
    app: &AppState,
    company: &CompanyId,
    pnid: &str,
    value: &Value,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    thread::mark_routing(company);
    let contacts = fields::contacts(value);
    for m in fields::messages(value, &["messages"]) {
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                let r = dead(app, &format!("standby: {e}"), outcome).await?;
                count(outcome, r);
                continue;
            }
        };
        let (stored, contact) = store_message(app, company, &m, &contacts, Some("standby")).await?;
        if let (Some(contact), Some(ts)) = (contact, m.timestamp.to_timestamp()) {
            standby_state(app, company, &contact, ts, pnid).await;
        }
        count(outcome, stored);
    }
    for m in fields::messages(value, &["message_echoes", "echoes"]) {
        let r = match m {
            Ok(m) => {
                let r = store_echo(app, company, &m, "standby_echo").await?;
                if let ((Some(to), _), Some(ts)) = (fields::echo_user(&m), m.timestamp.to_timestamp())
                    && let Ok(contact) = ContactId::parse(to)
                {
                    standby_state(app, company, &contact, ts, pnid).await;
                }
                r
            }
            Err(e) => dead(app, &format!("standby echo: {e}"), outcome).await?,
        };
        count(outcome, r);
    }
    // Delivery receipts of the active responder's messages: not dossier's messages, nothing to
    // record them on; counted only.
    if let Some(s) = value.get("statuses").and_then(Value::as_array) {
        counter!("dossier_webhook_standby_statuses_total").increment(s.len() as u64);
    }
    Ok(())
}

/// Records that another responder handles the thread (a standby copy arrived) and shows it on
/// the pending draft's cards. The message is stored already; a failure here is logged.
async fn standby_state(app: &AppState, company: &CompanyId, contact: &ContactId, at: Timestamp, pnid: &str) {
    match thread::on_standby(app, company, contact, at, pnid).await {
        Ok(Some(t)) => refresh_cards(app, company, contact, &t).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not record the standby state"),
    }
}

async fn handovers(
    app: &AppState,
    company: &CompanyId,
    pnid: &str,
    value: &Value,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    thread::mark_routing(company);
    for h in fields::handovers(value, Timestamp::now()) {
        let h = match h {
            Ok(h) => h,
            Err(e) => {
                dead_letter(app, &format!("messaging_handovers: {e}"), &value.to_string()).await?;
                outcome.dead += 1;
                continue;
            }
        };
        let contact = match contact_of(h.wa_id.as_ref(), h.user_id.as_ref()) {
            Some(Ok(c)) => c,
            _ => {
                dead_letter(app, "messaging_handovers: the user id is not usable", "").await?;
                outcome.dead += 1;
                continue;
            }
        };
        let next = match h.kind {
            HandoverKind::ControlPassed => Thread {
                handler: Handler::Dossier,
                role: None,
                since: h.at,
                via: Via::ControlPassed,
                phone_number_id: Some(pnid.to_owned()),
                previous_role: h.previous_role.clone(),
            },
            HandoverKind::ControlTaken => Thread {
                handler: Handler::Other,
                role: h.new_role.clone(),
                since: h.at,
                via: Via::ControlTaken,
                phone_number_id: Some(pnid.to_owned()),
                previous_role: None,
            },
        };
        let (now, applied) = thread::record(app, company, &contact, next)
            .await
            .map_err(ApiError::Internal)?;
        outcome.statuses += 1;
        if applied {
            tracing::info!(company = %company, contact = %contact.masked(), handler = %now.describe(), "thread ownership changed");
            refresh_cards(app, company, &contact, &now).await;
        }
    }
    Ok(())
}

/// Shows the new owner on the contact's pending draft (its cards re-rendered), so an agent never
/// sees an "Approve" that would silently take the thread.
async fn refresh_cards(app: &AppState, company: &CompanyId, contact: &ContactId, t: &Thread) {
    let held_by = t.held_by();
    let r = crate::copilot::drafts::modify(app, company, contact, |d| {
        if d.status != crate::copilot::drafts::DraftStatus::Pending || d.held_by == held_by {
            return false;
        }
        d.held_by = held_by.clone();
        true
    })
    .await;
    match r {
        Ok(Some(d)) => crate::copilot::drafts::update_cards(app, company, contact, &d).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not show the new owner on the draft"),
    }
}

/// Stores an echo of a business message (the app's, or the active responder's in standby) as a
/// business message; edits and revokes are applied to the business's own stored message.
async fn store_echo(
    app: &AppState,
    company: &CompanyId,
    m: &WaMessage,
    source: &'static str,
) -> Result<Stored, ApiError> {
    let (to, to_user) = fields::echo_user(m);
    let contact = match contact_of(to.as_ref(), to_user.as_ref()) {
        Some(Ok(c)) => c,
        _ => {
            dead_letter(
                app,
                &format!("echo {}: no usable user id (to / to_user_id)", m.id),
                &m.id,
            )
            .await?;
            return Ok(Stored::Dead);
        }
    };
    let mut message = match m.to_message() {
        Ok(msg) => msg,
        Err(e) => {
            dead_letter(app, &format!("echo {}: {e}", m.id), &m.id).await?;
            return Ok(Stored::Dead);
        }
    };
    message.direction = Direction::Out;
    mark_source(&mut message, source);
    let original = match m.content() {
        Content::Edit {
            original_message_id, ..
        } => Some((original_message_id, false)),
        Content::Revoke { original_message_id } => Some((original_message_id, true)),
        _ => None,
    };
    if let Some((original, revoke)) = original
        && let Some(r) = amend(app, company, &contact, &original, m, revoke).await?
    {
        return Ok(r);
    }
    let update = ContactUpdate {
        profile_name: None,
        wa_id: to.filter(|t| t.chars().all(|c| c.is_ascii_digit())),
        user_id: to_user,
    };
    Ok(match ingest(app, source, company, &contact, &message, &update).await? {
        Appended::New => Stored::New,
        Appended::Duplicate => Stored::Duplicate,
    })
}

/// Applies a business edit or revoke to the stored original. `None` when the original is not
/// stored (the echo is then kept as a message of its own: the original may arrive later, in a
/// history chunk). An echo that names a *customer's* message is refused: the business cannot
/// rewrite what the customer said.
async fn amend(
    app: &AppState,
    company: &CompanyId,
    contact: &ContactId,
    original: &str,
    echo: &WaMessage,
    revoke: bool,
) -> Result<Option<Stored>, ApiError> {
    let Ok(id) = MessageId::parse(original.to_owned()) else {
        dead_letter(app, &format!("echo {}: original id is not usable", echo.id), &echo.id).await?;
        return Ok(Some(Stored::Dead));
    };
    let Some(mut stored) = app
        .store
        .messages_by_id(company, contact, std::slice::from_ref(&id))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    if stored.is_inbound() {
        counter!("dossier_webhook_echo_amend_refused_total").increment(1);
        dead_letter(
            app,
            &format!(
                "echo {}: a business {} names a customer message ({original}); refused",
                echo.id,
                if revoke { "revoke" } else { "edit" }
            ),
            &echo.id,
        )
        .await?;
        return Ok(Some(Stored::Dead));
    }
    let at = echo.timestamp.to_timestamp().unwrap_or_else(Timestamp::now);
    let mut detail = stored.detail.take().unwrap_or_else(|| json!({}));
    if revoke {
        if let Some(o) = detail.as_object_mut() {
            o.insert(
                "revoked".into(),
                json!({ "by": echo.id, "at": at.to_string(), "kind": stored.kind }),
            );
        }
        stored.text = None;
        stored.kind = Some("revoked".into());
    } else {
        let text = echo.text();
        if let Some(o) = detail.as_object_mut() {
            o.insert(
                "edited".into(),
                json!({ "by": echo.id, "at": at.to_string(), "previous_text": stored.text }),
            );
        }
        if text.is_some() {
            stored.text = text;
        }
    }
    stored.detail = Some(detail);
    stored.status = None;
    app.store.replace_message(company, contact, &stored).await?;
    counter!("dossier_webhook_echo_amended_total", "kind" => if revoke { "revoke" } else { "edit" }).increment(1);
    Ok(Some(Stored::New))
}

/// Stores a history chunk: per thread, in time order, deduplicated, no analysis per message;
/// one analysis per contact that got something new, queued with the thread's last message (and
/// coalesced with one already waiting, as for live messages).
async fn history(
    app: &AppState,
    company: &CompanyId,
    business_number: Option<&str>,
    value: &Value,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    if value.get("history").and_then(Value::as_array).is_none() {
        // A declined share (`errors`) or an empty notice: nothing to store.
        counter!("dossier_webhook_history_empty_total").increment(1);
        return Ok(());
    }
    let mut analyse: Vec<ContactId> = Vec::new();
    for t in fields::history(value) {
        let contact = match t.user.as_deref().map(|u| ContactId::parse(u.to_owned())) {
            Some(Ok(c)) => c,
            _ => {
                dead_letter(app, "history: a thread without a usable user id", "").await?;
                outcome.dead += 1;
                continue;
            }
        };
        let update = ContactUpdate {
            profile_name: None,
            wa_id: contact.is_phone().then(|| contact.to_string()),
            user_id: None,
        };
        // New messages not yet covered by an analysis job (queued, or joined while one waits).
        let mut uncovered = false;
        let last = t.messages.len().saturating_sub(1);
        let job = Job::analyze(company, &contact).to_payload();
        for (i, m) in t.messages.into_iter().enumerate() {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    dead_letter(app, &format!("history: {e}"), "").await?;
                    outcome.dead += 1;
                    continue;
                }
            };
            let mut message = match m.to_message() {
                Ok(msg) => msg,
                Err(e) => {
                    dead_letter(app, &format!("history message {}: {e}", m.id), &m.id).await?;
                    outcome.dead += 1;
                    continue;
                }
            };
            message.direction = history_direction(&m, contact.as_str(), business_number);
            mark_source(&mut message, "history");
            if let (Some(phase), Some(o)) = (&t.phase, message.detail.as_mut().and_then(Value::as_object_mut)) {
                o.insert("history_phase".into(), Value::String(phase.clone()));
            }
            // The thread's last message queues the contact's analysis (unless one already waits,
            // so several chunks in a row coalesce into one); the others queue nothing.
            let analysis = (i == last).then_some(job.as_str());
            let appended = app
                .store
                .append_and_queue(company, &contact, &message, &update, analysis)
                .await?;
            let outcome_label = match appended {
                Appended::New => {
                    uncovered = i != last;
                    outcome.accepted += 1;
                    "accepted"
                }
                Appended::Duplicate => {
                    outcome.duplicates += 1;
                    "duplicate"
                }
            };
            counter!("dossier_messages_total", "source" => "history", "outcome" => outcome_label).increment(1);
        }
        if uncovered && !analyse.contains(&contact) {
            analyse.push(contact);
        }
    }
    // Threads whose last message was already stored (a partly replayed chunk) but had new ones.
    for contact in analyse {
        Job::analyze(company, &contact).enqueue(app.store.as_ref()).await?;
    }
    Ok(())
}

/// A history message is the customer's when it is from the thread's user, else the business's
/// (`from` is the business number, or `to` is the user).
fn history_direction(m: &WaMessage, user: &str, business: Option<&str>) -> Direction {
    match m.from.as_deref() {
        Some(f) if f == user => Direction::In,
        Some(f) if Some(f) == business => Direction::Out,
        Some(_) => Direction::Out,
        None => {
            if m.rest.get("to").and_then(Value::as_str) == Some(user) {
                Direction::Out
            } else {
                Direction::In
            }
        }
    }
}

/// A `template_category_update` change: a *completed* change updates the category of the company
/// templates it names ([`crate::copilot::templates`]); an impending one is only counted.
pub(super) async fn template_category(
    app: &AppState,
    waba: Option<&str>,
    value: &Value,
    outcome: &mut Outcome,
) -> Result<(), ApiError> {
    counter!("dossier_webhook_changes_total", "field" => "template_category_update").increment(1);
    let change = match fields::template_category(value) {
        Ok(Some(c)) => c,
        Ok(None) => {
            counter!("dossier_template_category_impending_total").increment(1);
            return Ok(());
        }
        Err(e) => {
            dead_letter(app, &format!("template_category_update: {e}"), &value.to_string()).await?;
            outcome.dead += 1;
            return Ok(());
        }
    };
    let n = crate::copilot::templates::record_category(app, waba, &change)
        .await
        .map_err(ApiError::Internal)?;
    if n == 0 {
        dead_letter(
            app,
            &format!(
                "template_category_update for `{}`: no company has this template (or WABA)",
                change.template
            ),
            &value.to_string(),
        )
        .await?;
        outcome.dead += 1;
    } else {
        outcome.statuses += 1;
    }
    Ok(())
}
