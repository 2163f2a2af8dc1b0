//! Posting to Slack: `chat.postMessage`, `chat.update`, `views.open` with the company's bot token,
//! and `response_url` replies. Base URL from `service.slack.api_base_url`.
//!
//! Slack allows about one message per second per channel: posts to a channel wait their turn in a
//! per-channel governor (a FIFO queue: waiters are served in order). A 429 is retried after its
//! `Retry-After` seconds (a few times). Slack's Web API reports other errors as HTTP 200 with
//! `{"ok": false, "error": …}`.

use super::blocks;
use crate::config::{CompanyConfig, Secrets, Settings};
use crate::copilot::drafts::DraftCard;
use crate::copilot::ports::{CardRef, ChatError, ChatKind, TeamChat};
use crate::copilot::token;
use async_trait::async_trait;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Attempts on HTTP 429.
pub const MAX_ATTEMPTS: u32 = 4;
/// Longest `Retry-After` honoured (longer ones fail the call).
pub const MAX_RETRY_AFTER_SECS: u64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("Slack answered ok=false: {0}")]
    Api(String),
    #[error("Slack rate limit persisted")]
    RateLimited,
    #[error("could not reach Slack: {0}")]
    Transport(String),
}

/// Per-channel pacing: one FIFO queue per channel in front of a keyed governor, so posts leave
/// in the order they came, one per second per channel. Owned by a client (so by one company's
/// adapter), never process-global.
struct Pacing {
    limiter: DefaultKeyedRateLimiter<String>,
    queues: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Pacing {
    fn new() -> Pacing {
        Pacing {
            limiter: RateLimiter::keyed(Quota::per_second(NonZeroU32::MIN)),
            queues: Default::default(),
        }
    }

    fn queue(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() > 10_000 {
            m.retain(|_, v| Arc::strong_count(v) > 1);
            self.limiter.retain_recent();
        }
        m.entry(key.to_owned()).or_default().clone()
    }
}

/// A Web API client for one company's bot.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    pacing: Arc<Pacing>,
}

impl SlackClient {
    pub fn new(http: reqwest::Client, api_base_url: &str, token: SecretString) -> SlackClient {
        SlackClient {
            http,
            base: api_base_url.trim_end_matches('/').to_owned(),
            token,
            pacing: Arc::new(Pacing::new()),
        }
    }

    /// Calls a Web API method with a JSON body; returns the answer when `ok`.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, SlackError> {
        let url = format!("{}/{method}", self.base);
        for _ in 0..MAX_ATTEMPTS {
            let resp = self
                .http
                .post(&url)
                .bearer_auth(self.token.expose_secret())
                .json(body)
                .send()
                .await
                .map_err(|e| SlackError::Transport(e.without_url().to_string()))?;
            if resp.status().as_u16() == 429 {
                wait_retry_after(&resp).await?;
                continue;
            }
            let v: Value = resp.json().await.map_err(|e| SlackError::Transport(e.to_string()))?;
            if v["ok"] == json!(true) {
                return Ok(v);
            }
            return Err(SlackError::Api(
                v["error"].as_str().unwrap_or("unknown_error").to_owned(),
            ));
        }
        Err(SlackError::RateLimited)
    }

    /// Waits for the channel's turn (1 message/s), then calls `method`.
    async fn call_paced(&self, channel: &str, method: &str, body: &Value) -> Result<Value, SlackError> {
        let key = channel.to_owned();
        let q = self.pacing.queue(&key);
        let _turn = q.lock().await;
        self.pacing.limiter.until_key_ready(&key).await;
        self.call(method, body).await
    }

    /// `chat.postMessage`; returns the message `ts`.
    pub async fn post_message(&self, channel: &str, text: &str, blocks: Option<&Value>) -> Result<String, SlackError> {
        let mut body = json!({ "channel": channel, "text": text, "unfurl_links": false });
        if let Some(b) = blocks {
            body["blocks"] = b.clone();
        }
        let v = self.call_paced(channel, "chat.postMessage", &body).await?;
        Ok(v["ts"].as_str().unwrap_or_default().to_owned())
    }

    /// `chat.update` of a message the bot posted.
    pub async fn update(&self, channel: &str, ts: &str, text: &str, blocks: &Value) -> Result<(), SlackError> {
        let body = json!({ "channel": channel, "ts": ts, "text": text, "blocks": blocks });
        self.call_paced(channel, "chat.update", &body).await.map(|_| ())
    }

    /// `views.open` (a modal) with a `trigger_id` from the last 3 seconds.
    pub async fn views_open(&self, trigger_id: &str, view: &Value) -> Result<(), SlackError> {
        self.call("views.open", &json!({ "trigger_id": trigger_id, "view": view }))
            .await
            .map(|_| ())
    }
}

pub(crate) async fn wait_retry_after(resp: &reqwest::Response) -> Result<(), SlackError> {
    let secs = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1);
    if secs > MAX_RETRY_AFTER_SECS {
        return Err(SlackError::RateLimited);
    }
    tracing::info!(retry_after = secs, "Slack rate limit, waiting");
    tokio::time::sleep(Duration::from_secs(secs)).await;
    Ok(())
}

/// The button key for Slack (derived from the signing secret), if Slack is configured.
pub fn button_key(secrets: &Secrets) -> Option<Vec<u8>> {
    secrets
        .slack_signing_secret
        .as_ref()
        .map(|s| token::derive_key(s.expose_secret().as_bytes()))
}

impl From<SlackError> for ChatError {
    fn from(e: SlackError) -> Self {
        match e {
            SlackError::Api(m) => ChatError::Api(m),
            SlackError::RateLimited => ChatError::RateLimited,
            SlackError::Transport(m) => ChatError::Transport(m),
        }
    }
}

/// The copilot's [`TeamChat`] on Slack, for one company: its bot client (when its token is set)
/// and the button key.
pub struct SlackChat {
    client: Option<SlackClient>,
    key: Option<Vec<u8>>,
}

impl SlackChat {
    /// The company's adapter; posting is off when its bot token or the signing secret is unset.
    pub fn for_company(
        http: &reqwest::Client,
        settings: &Settings,
        secrets: &Secrets,
        company: &CompanyConfig,
    ) -> SlackChat {
        let client = company
            .slack
            .as_ref()
            .and_then(|s| secrets.var(&s.bot_token_env))
            .map(|token| SlackClient::new(http.clone(), &settings.service.slack.api_base_url, token));
        SlackChat {
            client,
            key: button_key(secrets),
        }
    }

    fn ready(&self) -> Option<(&SlackClient, &[u8])> {
        Some((self.client.as_ref()?, self.key.as_deref()?))
    }
}

#[async_trait]
impl TeamChat for SlackChat {
    fn kind(&self) -> ChatKind {
        ChatKind::Slack
    }

    fn bold(&self) -> &'static str {
        "*"
    }

    fn mention(&self, caller: &crate::copilot::Caller) -> String {
        if caller.user_id.is_empty() {
            caller.user_name.clone()
        } else {
            format!("<@{}>", caller.user_id)
        }
    }

    async fn post_draft(&self, channel: &str, card: &DraftCard) -> Result<Option<CardRef>, ChatError> {
        let Some((client, key)) = self.ready() else {
            return Ok(None);
        };
        let (text, blocks) = blocks::draft_card(card, key);
        let ts = client.post_message(channel, &text, Some(&blocks)).await?;
        Ok(Some(CardRef {
            chat: ChatKind::Slack,
            channel: channel.to_owned(),
            ts,
        }))
    }

    async fn update_draft(&self, at: &CardRef, card: &DraftCard) -> Result<(), ChatError> {
        let Some((client, key)) = self.ready() else {
            return Ok(());
        };
        let (text, blocks) = blocks::draft_card(card, key);
        Ok(client.update(&at.channel, &at.ts, &text, &blocks).await?)
    }

    async fn post_text(&self, channel: &str, text: &str) -> Result<bool, ChatError> {
        let Some(client) = &self.client else {
            return Ok(false);
        };
        let blocks = blocks::text_blocks(text);
        client
            .post_message(channel, &blocks::fallback(text), Some(&blocks))
            .await?;
        Ok(true)
    }

    async fn open_editor(&self, trigger: &str, card: &DraftCard, reply_to: Option<&str>) -> Result<bool, ChatError> {
        let Some((client, key)) = self.ready() else {
            return Ok(false);
        };
        client
            .views_open(trigger, &blocks::edit_modal(card, key, reply_to))
            .await?;
        Ok(true)
    }
}
