//! Chatwoot webhook bodies as documented (field-2026.md §2.2): `Message#webhook_data` merged
//! with `event` for messages, `Conversations::EventDataPresenter#push_data` for conversations,
//! the contact's `webhook_data` for contacts. Every field is optional and unknown ones are
//! ignored: shapes differ between Chatwoot versions, and a field we do not need must never make
//! a delivery unreadable. Types that Chatwoot writes two ways (`message_type` a string at the top
//! level and an integer inside `conversation.messages`; `created_at` a datetime string or unix
//! seconds) are read both ways.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdName {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A contact or an agent (`sender`, `meta.sender`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Person {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub identifier: Option<String>,
    /// `contact` or `user` (an agent); absent in `meta.sender`, which is always the contact.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContactInbox {
    #[serde(default)]
    pub contact_id: Option<u64>,
    #[serde(default)]
    pub inbox_id: Option<u64>,
    /// The provider's id of the contact in this inbox: the `wa_id` for WhatsApp channels.
    #[serde(default)]
    pub source_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub sender: Option<Person>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Conversation {
    /// The display id.
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub inbox_id: Option<u64>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub contact_inbox: Option<ContactInbox>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

/// One webhook delivery (any event).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    pub event: String,
    /// The message id (message events), the contact id (contact events)…
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_attributes: Option<Value>,
    #[serde(default)]
    pub message_type: Option<Value>,
    #[serde(default)]
    pub private: Option<bool>,
    /// The provider's message id: the WhatsApp `wamid`, the dedupe key shared with the Cloud API.
    #[serde(default)]
    pub source_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<Value>,
    #[serde(default)]
    pub sender: Option<Person>,
    #[serde(default)]
    pub inbox: Option<IdName>,
    #[serde(default)]
    pub conversation: Option<Conversation>,
    #[serde(default)]
    pub account: Option<IdName>,
    #[serde(default)]
    pub attachments: Vec<Value>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The customer.
    Incoming,
    /// An agent (or a bot) of the business.
    Outgoing,
    /// Chatwoot's own notices (assigned, resolved…): not conversation.
    Activity,
    Template,
    Unknown,
}

impl Event {
    pub fn kind(&self) -> Kind {
        match &self.message_type {
            Some(Value::String(s)) => match s.as_str() {
                "incoming" => Kind::Incoming,
                "outgoing" => Kind::Outgoing,
                "activity" => Kind::Activity,
                "template" => Kind::Template,
                _ => Kind::Unknown,
            },
            Some(Value::Number(n)) => match n.as_u64() {
                Some(0) => Kind::Incoming,
                Some(1) => Kind::Outgoing,
                Some(2) => Kind::Activity,
                Some(3) => Kind::Template,
                _ => Kind::Unknown,
            },
            _ => Kind::Unknown,
        }
    }

    pub fn account_id(&self) -> Option<u64> {
        self.account.as_ref().and_then(|a| a.id)
    }

    pub fn inbox_id(&self) -> Option<u64> {
        self.inbox
            .as_ref()
            .and_then(|i| i.id)
            .or_else(|| self.conversation.as_ref().and_then(|c| c.inbox_id))
    }

    /// The conversation's contact (never the agent who wrote an outgoing message).
    pub fn contact(&self) -> Option<&Person> {
        let meta = self
            .conversation
            .as_ref()
            .and_then(|c| c.meta.as_ref())
            .and_then(|m| m.sender.as_ref());
        meta.or_else(|| {
            self.sender
                .as_ref()
                .filter(|s| s.kind.as_deref().is_none_or(|k| k == "contact"))
                .filter(|_| self.kind() == Kind::Incoming)
        })
    }

    /// The Chatwoot contact id, for write-back.
    pub fn chatwoot_contact_id(&self) -> Option<u64> {
        self.contact().and_then(|p| p.id).or_else(|| {
            self.conversation
                .as_ref()
                .and_then(|c| c.contact_inbox.as_ref())
                .and_then(|ci| ci.contact_id)
        })
    }

    /// The `wa_id` in a WhatsApp inbox (`contact_inbox.source_id`, digits only).
    pub fn contact_source_id(&self) -> Option<&str> {
        self.conversation
            .as_ref()
            .and_then(|c| c.contact_inbox.as_ref())
            .and_then(|ci| ci.source_id.as_deref())
    }

    /// The message id as a string (Chatwoot sends a number).
    pub fn message_id(&self) -> Option<String> {
        match &self.id {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    }

    /// `created_at` as a timestamp: an RFC 3339 string or unix seconds.
    pub fn created_at(&self) -> Option<jiff::Timestamp> {
        match &self.created_at {
            Some(Value::String(s)) => s
                .parse::<jiff::Timestamp>()
                .ok()
                .or_else(|| s.parse::<i64>().ok().and_then(|n| jiff::Timestamp::from_second(n).ok())),
            Some(Value::Number(n)) => n.as_i64().and_then(|n| jiff::Timestamp::from_second(n).ok()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_message_type_spellings_read() {
        let e: Event = serde_json::from_str(r#"{"event":"message_created","message_type":"incoming"}"#).unwrap();
        assert_eq!(e.kind(), Kind::Incoming);
        let e: Event = serde_json::from_str(r#"{"event":"message_created","message_type":1}"#).unwrap();
        assert_eq!(e.kind(), Kind::Outgoing);
        let e: Event = serde_json::from_str(r#"{"event":"x","created_at":1764600000}"#).unwrap();
        assert_eq!(e.created_at().unwrap().as_second(), 1764600000);
        let e: Event = serde_json::from_str(r#"{"event":"x","created_at":"2026-12-01T10:00:00.000Z"}"#).unwrap();
        assert!(e.created_at().is_some());
    }
}
