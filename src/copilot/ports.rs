//! What the copilot needs from the outside world, as traits it owns: a [`TeamChat`] to show
//! cards to agents, and a [`CustomerChannel`] to send an approved reply to the customer. The
//! adapters live in `src/channels/` (Slack, Mattermost, the WhatsApp Graph API) and are built per
//! company at start-up; the copilot never names them. Tests plug recording adapters in.

use super::drafts::DraftCard;
use async_trait::async_trait;
use dossier_core::ContactId;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which team chat a card lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Slack,
    Mattermost,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Slack => "slack",
            ChatKind::Mattermost => "mattermost",
        }
    }
}

/// A posted card, so it can be updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRef {
    #[serde(alias = "platform")]
    pub chat: ChatKind,
    pub channel: String,
    /// Slack message `ts`, or Mattermost post id.
    pub ts: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("the chat API refused: {0}")]
    Api(String),
    #[error("the chat API's rate limit persisted")]
    RateLimited,
    #[error("could not reach the chat API: {0}")]
    Transport(String),
}

/// A team chat as the copilot uses it. Each adapter paces its own posts (Slack allows about one
/// message per second per channel) and answers `Ok(None)` / `Ok(false)` when posting is off for
/// the company (no bot token).
#[async_trait]
pub trait TeamChat: Send + Sync {
    fn kind(&self) -> ChatKind;

    /// How this chat marks bold text (`*` in Slack's mrkdwn, `**` in Mattermost's Markdown).
    fn bold(&self) -> &'static str;

    /// How this chat names the agent who asked (a Slack mention, a Mattermost `@name`).
    fn mention(&self, caller: &super::Caller) -> String;

    /// Posts a draft card with its buttons.
    async fn post_draft(&self, channel: &str, card: &DraftCard) -> Result<Option<CardRef>, ChatError>;

    /// Re-renders a posted draft card (after a status change, or when superseded).
    async fn update_draft(&self, at: &CardRef, card: &DraftCard) -> Result<(), ChatError>;

    /// Posts plain text (a handoff summary).
    async fn post_text(&self, channel: &str, text: &str) -> Result<bool, ChatError>;

    /// Opens an editor for the draft (Slack's modal, from a click's `trigger_id`; `reply_to` is
    /// where the edited card is shown again when it was not posted by the bot); `false` where the
    /// chat has none.
    async fn open_editor(&self, _trigger: &str, _card: &DraftCard, _reply_to: Option<&str>) -> Result<bool, ChatError> {
        Ok(false)
    }
}

/// One company's team chat: the adapter and the channels the copilot posts to.
#[derive(Clone)]
pub struct ChatBinding {
    pub chat: Arc<dyn TeamChat>,
    pub drafts_channel: Option<String>,
    pub managers_channel: Option<String>,
}

/// The customer service window.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// Free-form replies stop this long before the window closes (clock skew, queueing).
pub const WINDOW_MARGIN: SignedDuration = SignedDuration::from_mins(5);

/// Whether a free-form message may be sent now: a customer message in the last 24 h (minus margin).
pub fn window_open(last_inbound: Option<Timestamp>, now: Timestamp) -> bool {
    match last_inbound {
        Some(t) => now < t + WINDOW - WINDOW_MARGIN,
        None => false,
    }
}

/// A message to the customer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Text {
        to: ContactId,
        text: String,
    },
    Template {
        to: ContactId,
        name: String,
        language: String,
        /// Marketing templates go to `/{phone_number_id}/marketing_messages`, others to
        /// `/messages` (field-2026.md §3.3).
        marketing: bool,
    },
}

/// The accepted message.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub wamid: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("the 24-hour customer service window is closed (131047): send a template")]
    WindowClosed,
    #[error("WhatsApp rate limit ({code}) persisted")]
    RateLimited { code: i64 },
    #[error("WhatsApp refused the message ({code}): {message}")]
    Api { code: i64, message: String },
    #[error("sending is off: {0}")]
    NotConfigured(String),
    #[error("could not reach the Graph API: {0}")]
    Transport(String),
}

/// Where an approved reply goes: the company's WhatsApp number.
#[async_trait]
pub trait CustomerChannel: Send + Sync {
    async fn send(&self, message: &Outgoing) -> Result<Sent, SendError>;

    /// Thread Control (Conversation Routing): pass, release or take the user's thread on the
    /// business number `phone_number_id`. Channels without routing cannot.
    async fn thread_control(
        &self,
        _phone_number_id: Option<&str>,
        _user: &ContactId,
        _action: &super::thread::ThreadAction,
    ) -> Result<(), SendError> {
        Err(SendError::NotConfigured("this channel has no thread control".into()))
    }
}

/// A company without a sending channel configured.
pub struct NoChannel(pub String);

#[async_trait]
impl CustomerChannel for NoChannel {
    async fn send(&self, _: &Outgoing) -> Result<Sent, SendError> {
        Err(SendError::NotConfigured(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window() {
        let now: Timestamp = "2026-11-20T12:00:00Z".parse().unwrap();
        assert!(window_open(Some(now - SignedDuration::from_hours(23)), now));
        assert!(!window_open(Some(now - SignedDuration::from_mins(24 * 60 - 4)), now));
        assert!(!window_open(Some(now - SignedDuration::from_hours(25)), now));
        assert!(!window_open(None, now));
    }

    #[test]
    fn card_refs_read_the_old_platform_field() {
        let r: CardRef = serde_json::from_str(r#"{"platform":"slack","channel":"C1","ts":"1.2"}"#).unwrap();
        assert_eq!(r.chat, ChatKind::Slack);
    }
}
