//! The smart profile (docs/conversation-and-profile.md §2). Every extracted fact carries `evidence` (ids of the messages that
//! show it) or, for facts from outside systems, its `source`. Unknown is `null` or `[]`, never a guess.

use crate::ids::MessageId;
use crate::money::Currency;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The default sales pipeline (docs/conversation-and-profile.md §3), earliest first. A company may rename or add stages.
pub const STAGES: [&str; 6] = [
    "first_inquiry",
    "exploring",
    "comparing",
    "negotiating",
    "ready_to_buy",
    "support",
];

/// The intents of docs/conversation-and-profile.md §4.
pub const INTENTS: [&str; 13] = [
    "greeting",
    "availability",
    "price",
    "features",
    "comparison",
    "financing",
    "trade_in",
    "test_drive",
    "reservation",
    "documents",
    "complaint",
    "service",
    "other",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Urgency {
    Low,
    Normal,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sentiment {
    Negative,
    Neutral,
    Positive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BudgetPeriod {
    Total,
    Monthly,
}

/// Who is this customer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProfileContact {
    pub wa_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    pub branch: Option<String>,
    /// The agent the contact was handed off to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// A labelled fact (stage, intent) with its confidence and the messages behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fact {
    pub value: String,
    pub confidence: f32,
    /// When the value last changed (stage only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub since: Option<Timestamp>,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    /// Set when the fact came from outside (an agent, a CRM) rather than from messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Interest {
    /// Human label: "Toyota Corolla 2022".
    pub item: String,
    pub make: String,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_ref: Option<String>,
    pub mentions: u32,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_mentioned: Option<Timestamp>,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Budget {
    pub amount: Decimal,
    pub currency: Currency,
    pub period: BudgetPeriod,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Financing {
    pub interested: bool,
    pub term_months: Option<u32>,
    pub down_payment: Option<Decimal>,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TradeIn {
    pub has: bool,
    pub description: Option<String>,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A short text (objection, open question, commitment) with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Note {
    pub text: String,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
}

/// A company-defined field's value, with the messages that show it (or the outside source).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomFact {
    pub value: String,
    pub confidence: f32,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An operational fact from a business tool (stock, lowest price, payment estimate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolFact {
    pub tool: String,
    pub text: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct History {
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_seen: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen: Option<Timestamp>,
    pub messages_in: u32,
    pub messages_out: u32,
    /// Conversations: runs of messages separated by a gap of 7 days or more.
    pub conversations: u32,
    /// Last customer message (opens WhatsApp's 24-hour service window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_inbound_at: Option<Timestamp>,
}

/// A raw observation with provenance, as it was merged into the profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Signal {
    pub kind: String,
    pub value: serde_json::Value,
    pub confidence: f32,
    pub source: String,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    #[schema(value_type = String, format = DateTime)]
    pub observed_at: Timestamp,
}

/// One change of a fact: what it was, what it became, when, and on what evidence or source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrailEntry {
    pub field: String,
    pub from: serde_json::Value,
    pub to: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    #[serde(default)]
    pub evidence: Vec<MessageId>,
    pub source: String,
}

/// The smart profile of one contact (docs/conversation-and-profile.md §2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Profile {
    pub company: String,
    pub contact: ProfileContact,
    pub stage: Option<Fact>,
    pub intent: Option<Fact>,
    #[serde(default)]
    pub interests: Vec<Interest>,
    pub budget: Option<Budget>,
    pub financing: Option<Financing>,
    pub trade_in: Option<TradeIn>,
    pub urgency: Option<Urgency>,
    pub sentiment: Option<Sentiment>,
    pub returning: bool,
    #[serde(default)]
    pub objections: Vec<Note>,
    #[serde(default)]
    pub open_questions: Vec<Note>,
    pub summary: Option<String>,
    pub next_best_action: Option<String>,
    #[serde(default)]
    pub facts: Vec<ToolFact>,
    #[serde(default)]
    pub history: History,
    #[serde(default)]
    pub signals: Vec<Signal>,
    /// The provider that produced the analysis (`builtin`, `openai`, `anthropic`).
    pub provider: String,
    /// Why another provider than the configured one was used, if it was (a fallback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_note: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
    /// How facts changed over time. Returned only on request (`?trail=true`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trail: Vec<TrailEntry>,
    /// The company's own fields (its file's `[[fields]]`), by name.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub custom: std::collections::BTreeMap<String, CustomFact>,
}

impl Profile {
    /// An empty profile: nothing known yet.
    pub fn empty(company: &str, wa_id: Option<&str>) -> Self {
        Profile {
            company: company.to_owned(),
            contact: ProfileContact {
                wa_id: wa_id.map(str::to_owned),
                ..Default::default()
            },
            stage: None,
            intent: None,
            interests: Vec::new(),
            budget: None,
            financing: None,
            trade_in: None,
            urgency: None,
            sentiment: None,
            returning: false,
            objections: Vec::new(),
            open_questions: Vec::new(),
            summary: None,
            next_best_action: None,
            facts: Vec::new(),
            history: History::default(),
            signals: Vec::new(),
            provider: "builtin".to_owned(),
            provider_note: None,
            updated_at: None,
            trail: Vec::new(),
            custom: Default::default(),
        }
    }

    /// The interest the customer mentioned most recently (ties: most mentions).
    pub fn leading_interest(&self) -> Option<&Interest> {
        self.interests.iter().max_by_key(|i| (i.last_mentioned, i.mentions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_a_string_in_json() {
        let b = Budget {
            amount: Decimal::new(2500000, 2),
            currency: Currency::USD,
            period: BudgetPeriod::Total,
            evidence: vec![MessageId::parse("wamid.5").unwrap()],
            source: None,
        };
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(v["amount"], "25000.00");
        assert_eq!(v["currency"], "USD");
        assert_eq!(v["period"], "total");
        assert!(serde_json::from_str::<Budget>(r#"{"amount":25000,"currency":"USD","period":"total"}"#).is_err());
    }

    #[test]
    fn empty_profile_has_nulls_and_empty_lists() {
        let v = serde_json::to_value(Profile::empty("demo-motors", Some("1"))).unwrap();
        assert!(v["stage"].is_null());
        assert_eq!(v["interests"], serde_json::json!([]));
        assert!(v.get("trail").is_none());
    }
}
