//! What the draft buttons do. Only these functions send to a customer, and only on an agent's
//! click: Approve (the draft, or the agent's edited text), Send template (when the 24-hour window
//! is closed), Discard. Each checks that the click is for the contact's *current* draft
//! (`seq`) and that it is still pending; a claim (`Sending`) written compare-and-set keeps a
//! double click from sending twice.

use super::drafts::outcomes::{self, Outcome};
use super::drafts::{self, Draft, DraftStatus};
use super::ports::{Outgoing, SendError, window_open};
use super::thread::{self, ThreadAction};
use super::{cost, templates};
use crate::config::MessageCategory;
use crate::state::App;
use crate::store::ContactUpdate;
use anyhow::Context;
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId};
use jiff::Timestamp;
use serde_json::json;

/// What the agent asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send the draft (or this edited text). Refused while another responder handles the
    /// conversation: sending would silently take the thread from it.
    Approve {
        text: Option<String>,
    },
    /// Send the draft although another responder handles the conversation, taking the thread
    /// over from it (the agent saw the card say so and chose this button).
    TakeOver {
        text: Option<String>,
    },
    /// Send the company's template (window closed).
    Template,
    Discard,
    /// Pass the thread back to the responder it was taken over from (Thread Control API).
    HandBack,
}

/// Claims the draft for sending: `Pending` + right `seq` → `Sending`. `None` when the click is stale.
async fn claim(app: &App, company: &CompanyId, contact: &ContactId, seq: u64) -> anyhow::Result<Option<Draft>> {
    drafts::modify(app, company, contact, |d| {
        if d.seq != seq || d.status != DraftStatus::Pending {
            return false;
        }
        d.status = DraftStatus::Sending;
        true
    })
    .await
}

/// Applies `decision` to draft `seq` of `contact` on behalf of `agent`; returns the draft as it
/// now is (for the card), after updating the cards that show it.
#[tracing::instrument(skip_all, fields(company = %company, contact = %contact.masked(), seq))]
pub async fn decide(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    decision: Decision,
    agent: &str,
) -> anyhow::Result<Option<Draft>> {
    let rt = app.companies.get(company.as_str()).context("unknown company")?;
    if decision == Decision::HandBack {
        let d = hand_back(app, &rt, company, contact, seq, agent).await?;
        return finish(app, company, contact, d).await;
    }
    if decision == Decision::Discard {
        let d = drafts::modify(app, company, contact, |d| {
            if d.seq != seq || d.status != DraftStatus::Pending {
                return false;
            }
            d.status = DraftStatus::Discarded;
            d.note = Some(format!("Discarded by {agent}."));
            true
        })
        .await?;
        if let Some(d) = &d {
            outcomes::record(app, company, d, Outcome::Discarded).await;
        }
        return finish(app, company, contact, d).await;
    }
    let Some(draft) = claim(app, company, contact, seq).await? else {
        return Ok(drafts::load(app, company, contact).await?.map(|(_, d)| d));
    };
    let record = app.store.contact(company, contact).await?;
    let open = window_open(record.as_ref().and_then(|r| r.last_inbound), Timestamp::now());
    // Never take a thread silently: while another responder handles the conversation, only an
    // explicit "Take over and send" sends (a template too would be a take).
    let thread = thread::load(app, company, contact).await?;
    let held_by = thread.as_ref().and_then(|t| t.held_by());
    if let Some(who) = &held_by
        && !matches!(decision, Decision::TakeOver { .. })
    {
        metrics::counter!("dossier_approvals_refused_total", "why" => "not_active_responder").increment(1);
        let who = who.clone();
        let d = release(app, company, contact, seq, |d| {
            d.held_by = Some(who.clone());
            d.note = Some(format!(
                "Not sent: {who} is handling this conversation. Sending takes the conversation over from it \
                 (it stops answering); use \"Take over and send\" to do that."
            ));
        })
        .await?;
        return finish(app, company, contact, d).await;
    }
    let (outgoing, text, kind, category) = match &decision {
        Decision::Approve { text } | Decision::TakeOver { text } => {
            if !open {
                let d = release(app, company, contact, seq, |d| {
                    d.window_closed = true;
                    d.note = Some(window_note(d));
                })
                .await?;
                return finish(app, company, contact, d).await;
            }
            let text = text.clone().unwrap_or_else(|| draft.text.clone());
            (
                Outgoing::Text {
                    to: contact.clone(),
                    text: text.clone(),
                },
                text,
                "text",
                MessageCategory::Service,
            )
        }
        Decision::Template => {
            let Some(t) = rt.config.whatsapp.template.clone() else {
                let d = release(app, company, contact, seq, |d| {
                    d.note = Some("This company has no WhatsApp template configured.".into())
                })
                .await?;
                return finish(app, company, contact, d).await;
            };
            // The category may have changed since the card was drawn: checked again.
            let category = templates::category(app, company, &t).await;
            if let Some(why) = templates::blocked(category, contact, record.as_ref()) {
                let d = release(app, company, contact, seq, |d| {
                    d.template_offer = None;
                    d.template_blocked = Some(format!("Template `{}` is not offered: {why}", t.name));
                    d.note = Some(format!("Not sent: {why}"));
                })
                .await?;
                return finish(app, company, contact, d).await;
            }
            (
                Outgoing::Template {
                    to: contact.clone(),
                    name: t.name.clone(),
                    language: t.language.clone(),
                    marketing: category == MessageCategory::Marketing,
                },
                format!("[template {}]", t.name),
                "template",
                category,
            )
        }
        Decision::Discard | Decision::HandBack => unreachable!("handled above"),
    };
    let took_over = matches!(decision, Decision::TakeOver { .. }) && held_by.is_some();
    match rt.whatsapp().send(&outgoing).await {
        Ok(sent) => {
            let estimate = cost::estimate(&rt.config.whatsapp.rates, category, contact, record.as_ref());
            cost::record_send(app, company, category, estimate.as_ref()).await;
            let previous = thread.as_ref().and_then(|t| t.role.clone());
            if took_over {
                // The send took the thread (Meta: a service message from standby makes the
                // sender the active handler); recorded so Approve no longer asks and the card
                // can offer "Hand back".
                let next = thread::Thread {
                    handler: thread::Handler::Dossier,
                    role: None,
                    since: Timestamp::now(),
                    via: thread::Via::TakeOver,
                    phone_number_id: thread.as_ref().and_then(|t| t.phone_number_id.clone()),
                    previous_role: previous.clone(),
                };
                if let Err(e) = thread::record(app, company, contact, next).await {
                    tracing::warn!(error = %e, "could not record the take-over");
                }
            }
            let message = Message {
                id: MessageId::parse(sent.wamid.clone()).context("wamid")?,
                direction: Direction::Out,
                timestamp: Timestamp::now(),
                text: Some(text.clone()),
                kind: Some(kind.into()),
                status: Some("accepted".into()),
                detail: Some(json!({
                    "approved_by": agent,
                    "draft_seq": seq,
                    "source": "copilot",
                    "category": category.as_str(),
                    "estimate": estimate,
                    "took_over": took_over,
                })),
            };
            // Through the ingestion path, so the profile folds what was sent (as for any business message).
            crate::ingest::ingest(app, "copilot", company, contact, &message, &ContactUpdate::default()).await?;
            let d = drafts::modify(app, company, contact, |d| {
                if d.seq != seq {
                    return false;
                }
                d.status = DraftStatus::Sent;
                d.text = text.clone();
                d.wamid = Some(sent.wamid.clone());
                d.window_closed = false;
                d.held_by = None;
                if took_over {
                    d.hand_back_to = Some(thread::role_label(previous.as_deref()));
                    d.note = Some(format!(
                        "Sent by {agent}, taking the conversation over from {}.",
                        thread::role_label(previous.as_deref())
                    ));
                } else {
                    d.note = Some(format!("Sent by {agent}."));
                }
                true
            })
            .await?;
            if let Some(d) = &d
                && kind == "text"
            {
                outcomes::record(app, company, d, Outcome::sent(&draft.text, &text)).await;
            }
            finish(app, company, contact, d).await
        }
        Err(SendError::WindowClosed) => {
            let d = release(app, company, contact, seq, |d| {
                d.window_closed = true;
                d.note = Some(window_note(d));
            })
            .await?;
            finish(app, company, contact, d).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "sending an approved draft failed");
            let d = release(app, company, contact, seq, |d| d.note = Some(format!("Not sent: {e}"))).await?;
            finish(app, company, contact, d).await
        }
    }
}

/// "Hand back": passes the thread to the role it was taken over from (`pass` with its
/// `target_role`), or releases it when that role is not known (routing then picks the next
/// responder on the customer's next message). Only for the draft whose send took the thread.
async fn hand_back(
    app: &App,
    rt: &crate::companies::CompanyRuntime,
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    agent: &str,
) -> anyhow::Result<Option<Draft>> {
    let Some((_, draft)) = drafts::load(app, company, contact).await? else {
        return Ok(None);
    };
    if draft.seq != seq || draft.hand_back_to.is_none() {
        return Ok(Some(draft));
    }
    let current = thread::load(app, company, contact).await?;
    if current.as_ref().is_some_and(|t| !t.dossier_handles()) {
        // Already with another responder (it took the thread back itself): nothing to pass.
        return drafts::modify(app, company, contact, |d| {
            if d.seq != seq {
                return false;
            }
            d.hand_back_to = None;
            d.note = Some("The other responder already has the conversation again.".into());
            true
        })
        .await;
    }
    let previous = current.as_ref().and_then(|t| t.previous_role.clone());
    let action = match &previous {
        Some(role) => ThreadAction::Pass {
            target_role: role.clone(),
        },
        None => ThreadAction::Release,
    };
    let pnid = current.as_ref().and_then(|t| t.phone_number_id.clone());
    match rt.whatsapp().thread_control(pnid.as_deref(), contact, &action).await {
        Ok(()) => {
            metrics::counter!("dossier_thread_control_total", "action" => action.as_str(), "outcome" => "ok")
                .increment(1);
            let next = thread::Thread {
                handler: thread::Handler::Other,
                role: previous.clone(),
                since: Timestamp::now(),
                via: thread::Via::HandBack,
                phone_number_id: pnid,
                previous_role: None,
            };
            thread::record(app, company, contact, next).await?;
            let who = thread::role_label(previous.as_deref());
            drafts::modify(app, company, contact, |d| {
                if d.seq != seq {
                    return false;
                }
                d.hand_back_to = None;
                d.note = Some(match &action {
                    ThreadAction::Pass { .. } => format!("Handed back to {who} by {agent}."),
                    _ => format!("Released by {agent}: routing picks the next responder when the customer writes."),
                });
                true
            })
            .await
        }
        Err(e) => {
            metrics::counter!("dossier_thread_control_total", "action" => action.as_str(), "outcome" => "error")
                .increment(1);
            tracing::warn!(error = %e, "thread control failed");
            drafts::modify(app, company, contact, |d| {
                if d.seq != seq {
                    return false;
                }
                d.note = Some(format!("Could not hand back: {e}"));
                true
            })
            .await
        }
    }
}

fn window_note(d: &Draft) -> String {
    match &d.template_offer {
        Some(t) => format!("The 24-hour window is closed: only a template can be sent. Send the template `{t}`?"),
        None => "The 24-hour window is closed and this company has no template configured.".into(),
    }
}

/// Back to `Pending` (after a failed or refused send), with a note.
async fn release(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    note: impl Fn(&mut Draft),
) -> anyhow::Result<Option<Draft>> {
    drafts::modify(app, company, contact, |d| {
        if d.seq != seq || d.status != DraftStatus::Sending {
            return false;
        }
        d.status = DraftStatus::Pending;
        note(d);
        true
    })
    .await
}

async fn finish(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    d: Option<Draft>,
) -> anyhow::Result<Option<Draft>> {
    let d = match d {
        Some(d) => d,
        None => return Ok(drafts::load(app, company, contact).await?.map(|(_, d)| d)),
    };
    drafts::update_cards(app, company, contact, &d).await;
    Ok(Some(d))
}
