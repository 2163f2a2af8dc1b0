//! The conversation: docs/conversation-and-profile.md §1 (`dossier analyze` input) and the message as the store keeps it.

use crate::ids::{ContactId, MessageId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Written by the customer.
    In,
    /// Written by the business (an agent or the service).
    Out,
}

/// One message. `text` is absent for non-text messages; then `kind` (JSON `type`) names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub direction: Direction,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The WhatsApp message type (`text`, `image`, `location`, …, or an unknown one, kept as is).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Delivery state of an outgoing message (`sent`, `delivered`, `read`, `played`, `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// What else the channel said about the message (media ids, location, reply context, errors…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl Message {
    /// The message's text, or an empty string.
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn is_inbound(&self) -> bool {
        self.direction == Direction::In
    }
}

/// The contact block of a conversation file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversationContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
}

impl ConversationContact {
    /// The contact key: `wa_id`, else the business-scoped user id.
    pub fn key(&self) -> Option<&ContactId> {
        self.wa_id.as_ref().or(self.user_id.as_ref())
    }
}

/// A conversation file (docs/conversation-and-profile.md §1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Conversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(default)]
    pub contact: ConversationContact,
    pub messages: Vec<Message>,
}

impl Conversation {
    /// Sorts messages by timestamp; ties keep their position (a stable sort).
    pub fn sort(&mut self) {
        self.messages.sort_by_key(|m| m.timestamp);
    }

    /// Parses a conversation file and sorts it.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let mut c: Conversation = serde_json::from_slice(bytes)?;
        c.sort();
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_time_keeping_ties_in_order() {
        let json = br#"{"contact":{"wa_id":"1"},"messages":[
          {"id":"c","direction":"in","timestamp":"2026-10-01T10:00:02Z","text":"3"},
          {"id":"a","direction":"in","timestamp":"2026-10-01T10:00:00Z","text":"1"},
          {"id":"b","direction":"out","timestamp":"2026-10-01T10:00:00Z","type":"image"}]}"#;
        let c = Conversation::from_json(json).unwrap();
        let ids: Vec<_> = c.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert_eq!(c.messages[1].kind.as_deref(), Some("image"));
    }
}
