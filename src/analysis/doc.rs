//! The per-contact analysis document: the profile, the analyzer's fold state and what outside
//! systems said. Written compare-and-set as one unit (`doc:profile`, with the position of the last
//! message folded into it beside the body), so two writers of the same contact can never lose
//! each other's update: the loser reads again and re-applies.

use dossier_analyzer::AnalyzerState;
use dossier_core::profile::Signal;
use dossier_core::{Message, Profile};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileDoc {
    pub profile: Profile,
    /// The builtin analyzer's fold state: new messages are observed on top of it.
    pub analyzer: AnalyzerState,
    /// The newest timestamp among the folded messages: a message older than that arriving late
    /// makes the next run fold the conversation again, in time order.
    pub observed_until: Option<Timestamp>,
    /// Signals from outside systems (CRM, DMS, an agent), newest last.
    #[serde(default)]
    pub external: Vec<Signal>,
    /// Rolling summary for LLM prompts: everything older than the recent window.
    #[serde(default)]
    pub rolling: Option<crate::analysis::window::RollingSummary>,
    /// Position of the customer message the latest reply is due for; a draft job for an older
    /// position is stale.
    #[serde(default)]
    pub draft_due: Option<u64>,
    /// What the builtin engine found of the company's own fields.
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, crate::analysis::custom::Found>,
    /// The summary the company's LLM writes and rolls forward (the previous one plus what the
    /// new messages add); reused in the next prompt. The extractive `rolling` one is the fallback.
    #[serde(default)]
    pub llm_summary: Option<String>,
}

impl ProfileDoc {
    pub fn new(profile: Profile) -> ProfileDoc {
        ProfileDoc {
            profile,
            analyzer: AnalyzerState::default(),
            observed_until: None,
            external: Vec::new(),
            rolling: None,
            draft_due: None,
            custom: Default::default(),
            llm_summary: None,
        }
    }
}

/// The stored profile alone (no preview), for lookups over many contacts; a corrupt document
/// reads as none.
pub async fn stored_profile(
    store: &dyn crate::store::Store,
    company: &dossier_core::CompanyId,
    contact: &dossier_core::ContactId,
) -> crate::store::StoreResult<Option<Profile>> {
    Ok(store
        .doc(company, contact, "profile")
        .await?
        .and_then(|d| serde_json::from_slice::<ProfileDoc>(&d.body).ok())
        .map(|d| d.profile))
}

/// Whether a customer message asks for a reply: a reaction or a deleted message does not, nor a
/// past chat backfilled from the WhatsApp Business app (`history`: answered long ago, if at all).
pub fn wants_reply(m: &Message) -> bool {
    !matches!(
        m.kind.as_deref(),
        Some("reaction" | "system" | "unsupported" | "request_welcome" | "ephemeral" | "revoked")
    ) && crate::store::message_source(m) != Some("history")
}
