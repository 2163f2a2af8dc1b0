//! What the draft buttons do. Only these functions send to a customer, and only on an agent's
//! click: Approve (the draft, or the agent's edited text), Send template (when the 24-hour window
//! is closed), Discard. Each checks that the click is for the contact's *current* draft
//! (`seq`) and that it is still pending; a claim (`Sending`) written compare-and-set keeps a
//! double click from sending twice.

use super::drafts::outcomes::{self, Outcome};
use super::drafts::{self, Draft, DraftStatus};
use super::ports::{Outgoing, SendError, window_open};
use crate::state::App;
use crate::store::ContactUpdate;
use anyhow::Context;
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId};
use jiff::Timestamp;
use serde_json::json;

/// What the agent asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Send the draft (or this edited text).
    Approve {
        text: Option<String>,
    },
    /// Send the company's template (window closed).
    Template,
    Discard,
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
    let (outgoing, text, kind) = match &decision {
        Decision::Approve { text } => {
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
            (
                Outgoing::Template {
                    to: contact.clone(),
                    name: t.name.clone(),
                    language: t.language.clone(),
                },
                format!("[template {}]", t.name),
                "template",
            )
        }
        Decision::Discard => unreachable!("handled above"),
    };
    match rt.whatsapp().send(&outgoing).await {
        Ok(sent) => {
            let message = Message {
                id: MessageId::parse(sent.wamid.clone()).context("wamid")?,
                direction: Direction::Out,
                timestamp: Timestamp::now(),
                text: Some(text.clone()),
                kind: Some(kind.into()),
                status: Some("accepted".into()),
                detail: Some(json!({ "approved_by": agent, "draft_seq": seq, "source": "copilot" })),
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
                d.note = Some(format!("Sent by {agent}."));
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
