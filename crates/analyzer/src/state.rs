//! The fold state kept between messages (stored per contact by the service).
//!
//! Everything here is bounded: lists are capped and keep the latest entries, so the serialized
//! state stays a few kilobytes however long the conversation runs.

use dossier_core::MessageId;
use dossier_core::profile::Urgency;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Evidence lists keep at most this many message ids (the latest).
pub const MAX_EVIDENCE: usize = 6;
pub const MAX_INTERESTS: usize = 8;
pub const MAX_NOTES: usize = 5;
pub const MAX_SEEN_MODELS: usize = 24;
pub const MAX_AGENT_LIST: usize = 6;

/// Pushes an id, dropping the oldest beyond the cap and avoiding a duplicate at the end.
pub(crate) fn push_ev(ev: &mut Vec<MessageId>, id: &MessageId) {
    if ev.last() != Some(id) && !ev.contains(id) {
        ev.push(id.clone());
    }
    if ev.len() > MAX_EVIDENCE {
        let n = ev.len() - MAX_EVIDENCE;
        ev.drain(..n);
    }
}

pub(crate) fn push_capped<T>(v: &mut Vec<T>, item: T, cap: usize) {
    v.push(item);
    if v.len() > cap {
        let n = v.len() - cap;
        v.drain(..n);
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InterestState {
    pub make: String,
    pub model: String,
    pub year: Option<i32>,
    pub trim: Option<String>,
    pub catalog_ref: Option<String>,
    pub mentions: u32,
    pub last: Timestamp,
    pub evidence: Vec<MessageId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BudgetState {
    pub amount: Decimal,
    pub currency: String,
    pub monthly: bool,
    pub evidence: MessageId,
    pub at: Timestamp,
    /// Read next to a limit cue (false: an answer to the agent's budget question).
    #[serde(default)]
    pub cued: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FinancingState {
    pub interested: bool,
    pub term_months: Option<u32>,
    pub down_payment: Option<Decimal>,
    pub evidence: Vec<MessageId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TradeState {
    pub has: bool,
    pub description: Option<String>,
    pub evidence: Vec<MessageId>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StageState {
    /// 2 exploring … 6 support (see `stage::LEVELS`).
    pub level: u8,
    pub since: Timestamp,
    pub evidence: Vec<MessageId>,
    /// What the level rests on (see `stage::STAGE_BASIS`): sets the stated confidence.
    #[serde(default)]
    pub basis: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IntentState {
    pub value: String,
    pub evidence: MessageId,
    /// Number of cue hits behind it (confidence).
    pub strength: u8,
    /// What the intent rests on (see `stage::INTENT_BASIS`): sets the stated confidence.
    #[serde(default)]
    pub basis: u8,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NoteState {
    pub text: String,
    pub evidence: MessageId,
}

/// Everything needed to continue the fold after the last observed message.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct AnalyzerState {
    // History.
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub last_inbound_at: Option<Timestamp>,
    pub messages_in: u32,
    pub messages_out: u32,
    pub conversations: u32,
    pub returning: bool,
    /// Customer messages with real content (not a bare greeting or thanks).
    pub substantive_in: u32,
    pub first_substantive: Option<MessageId>,
    pub second_substantive_at: Option<Timestamp>,
    pub second_substantive: Option<MessageId>,
    // Contact.
    pub lang_votes: BTreeMap<String, f32>,
    pub name: Option<(String, MessageId)>,
    pub email: Option<(String, MessageId)>,
    // Vehicles.
    pub interests: Vec<InterestState>,
    /// "make|model" keys of the customer's own or trade-in vehicles (never an interest).
    pub owned_models: Vec<String>,
    /// "make|model" keys mentioned by anyone (lets an ambiguous model name count later).
    pub seen_models: Vec<String>,
    /// The vehicles ("make|model") the agent's latest message with vehicles named, in order,
    /// with the price quoted next to each (lets "the second one" / "the cheaper one" resolve).
    #[serde(default)]
    pub agent_list: Vec<(String, Option<Decimal>)>,
    /// Messages since that agent message (0: the very next message).
    #[serde(default)]
    pub agent_list_age: u8,
    // Money.
    pub budget: Option<BudgetState>,
    pub last_currency: Option<String>,
    pub agent_asked_budget: bool,
    /// The largest price the agent quoted last (sets the scale of "310" for 310,000).
    #[serde(default)]
    pub last_quote: Option<Decimal>,
    /// The model the customer said they prefer ("la segunda me late más"), while others stay.
    #[serde(default)]
    pub focus: Option<String>,
    /// The agent's last message asked about a trade-in.
    #[serde(default)]
    pub agent_asked_trade: bool,
    /// The agent's last message asked for the customer's name.
    #[serde(default)]
    pub agent_asked_name: bool,
    pub agent_asked_financing: bool,
    pub financing: Option<FinancingState>,
    pub trade_in: Option<TradeState>,
    // Pipeline.
    pub stage: Option<StageState>,
    pub intent: Option<IntentState>,
    pub greeting: Option<MessageId>,
    /// The model the customer committed to (ready_to_buy): another model weighed after it
    /// brings the stage back to comparing.
    #[serde(default)]
    pub ready_model: Option<String>,
    /// The intent of the first substantive message, and whether a later one asked something
    /// else (an opening request plus a short follow-up on it is still a first inquiry).
    #[serde(default)]
    pub first_intent: Option<String>,
    #[serde(default)]
    pub new_request: bool,
    pub urgency: Option<(Urgency, MessageId)>,
    pub sentiment: f32,
    pub sentiment_evidence: Vec<MessageId>,
    // Notes.
    pub open_questions: Vec<NoteState>,
    pub objections: Vec<NoteState>,
    pub highlights: Vec<NoteState>,
}
