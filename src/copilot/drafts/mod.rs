//! Drafted replies: the contact's current draft (the per-contact doc `draft`), how it is composed
//! and how it lives.
//!
//! - [`plan`]: what the answer depends on, from the tools, checked against the customer's limits.
//! - [`compose`]: the builtin composer: the plan in the customer's language, and the gloss.
//! - [`llm`]: drafting with the company's LLM and the business tools.
//! - [`check`]: what a draft must pass (language, grounded numbers, nothing asked twice, size);
//!   an LLM draft that fails is set aside for the builtin one, with the reason on the card.
//! - [`outcomes`]: what became of each draft (approved as is, edited, discarded, superseded)
//!   and the agents' votes, counted per company, language and intent.
//! - [`lifecycle`]: a draft job (a reply is due), `/dossier draft`, superseding the pending draft,
//!   posting and updating the cards through the team-chat port.
//!
//! A draft carries its sequence number (carried, signed, by the card's buttons), status, text and
//! the cards that show it. A newer customer message supersedes a pending draft. Nothing is sent
//! from here: only an agent's Approve ([`super::approve`]) sends.

pub mod bodies;
pub mod check;
pub mod compose;
pub mod hints;
pub mod lifecycle;
pub mod llm;
pub mod outcomes;
pub mod plan;

pub use lifecycle::{draft_on_demand, on_draft_due, update_cards};

use super::card::human;
use super::contact::{display_name, display_phone};
pub use super::ports::CardRef;
use crate::state::App;
use anyhow::Context;
use dossier_core::{CompanyId, ContactId, Profile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub const DRAFT_DOC: &str = "draft";
/// Longest draft text kept (WhatsApp allows 4096 characters in a text message).
pub const DRAFT_MAX: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftStatus {
    /// Waiting for an agent.
    Pending,
    /// An agent approved it; the Graph API call is under way (a second click does nothing).
    Sending,
    /// Approved and accepted by WhatsApp (`wamid` set).
    Sent,
    Discarded,
    /// A newer customer message came first.
    Superseded,
}

/// The `draft` doc.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Increases with every new draft of this contact; buttons carry it, signed.
    pub seq: u64,
    pub status: DraftStatus,
    pub text: String,
    pub language: String,
    pub intent: String,
    /// The template the text came from.
    pub template: String,
    /// What the agent asked for (`/dossier draft … : instructions`); shown on the card, not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub created_at: Timestamp,
    /// One line about the contact for the card.
    pub context: String,
    #[serde(default)]
    pub cards: Vec<CardRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
    /// The last thing that happened (sent by…, error…, window closed…), shown on the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The 24-hour window was closed at the last attempt: the card offers the template.
    #[serde(default)]
    pub window_closed: bool,
    /// The company's template name, when it has one (offered when the window is closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_offer: Option<String>,
    /// The customer message (position) this draft replies to, when a draft job made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_pos: Option<u64>,
    /// The reply in the agent's language, when the customer writes another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gloss: Option<String>,
    /// What the reply asks the customer for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asks: Vec<String>,
    /// Why the LLM's draft was set aside for this builtin one, shown on the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
    /// Who handles the conversation when it is not dossier (Conversation Routing): the card then
    /// says so and offers only "Take over and send" (see [`crate::copilot::thread`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<String>,
    /// Who the thread was taken over from by this draft's send: the card offers "Hand back".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_back_to: Option<String>,
    /// What approving costs (the rate card's estimate), one line for the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<String>,
    /// Why the company's template is not offered to this customer (a marketing template to a +1
    /// number, an authentication template to a contact known only by its business-scoped id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_blocked: Option<String>,
}

/// What a renderer needs to show a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftCard {
    pub company: String,
    pub contact: String,
    pub draft: Draft,
}

impl DraftCard {
    /// Buttons are live only while the draft is pending.
    pub fn actionable(&self) -> bool {
        self.draft.status == DraftStatus::Pending
    }
}

/// Where `prompts/` is: next to the configuration folder (`config/../prompts`), else the source tree.
pub fn context_line(p: &Profile, record: Option<&crate::store::ContactRecord>, contact: &ContactId) -> String {
    let mut parts = vec![
        display_name(record, Some(p)).unwrap_or_else(|| "Unknown name".into()),
        display_phone(contact),
    ];
    if let Some(s) = &p.stage {
        parts.push(human(&s.value));
    }
    if let Some(i) = p.leading_interest() {
        parts.push(i.item.clone());
    }
    if let Some(i) = &p.intent {
        parts.push(format!("asks about {}", human(&i.value).to_lowercase()));
    }
    parts.join(" · ")
}

/// The current draft and its doc version.
pub async fn load(app: &App, company: &CompanyId, contact: &ContactId) -> anyhow::Result<Option<(u64, Draft)>> {
    match app.store.doc(company, contact, DRAFT_DOC).await? {
        Some(doc) => Ok(Some((
            doc.version,
            serde_json::from_slice(&doc.body).context("draft doc")?,
        ))),
        None => Ok(None),
    }
}

/// Writes the draft if the doc is still at `expected`.
pub async fn save(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    expected: u64,
    d: &Draft,
) -> anyhow::Result<bool> {
    let written = app
        .store
        .put_doc(company, contact, DRAFT_DOC, expected, &serde_json::to_vec(d)?)
        .await?;
    if written {
        app.live.notify(app.store.as_ref(), company, contact, "draft").await;
    }
    Ok(written)
}

/// Changes the current draft with `f` (compare-and-set, retried); returns the draft as written.
/// `f` returns `false` to leave it alone (then `None`).
pub async fn modify(
    app: &App,
    company: &CompanyId,
    contact: &ContactId,
    mut f: impl FnMut(&mut Draft) -> bool,
) -> anyhow::Result<Option<Draft>> {
    for _ in 0..8 {
        let Some((v, mut d)) = load(app, company, contact).await? else {
            return Ok(None);
        };
        if !f(&mut d) {
            return Ok(None);
        }
        if save(app, company, contact, v, &d).await? {
            return Ok(Some(d));
        }
    }
    anyhow::bail!("the draft kept changing under us")
}
