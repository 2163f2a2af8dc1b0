//! Posting to Slack: `chat.postMessage`, `chat.update`, `views.open` with the company's bot token,
//! and `response_url` replies. Base URL from `service.slack.api_base_url`.
//!
//! Slack allows about one message per second per channel: posts to a channel wait their turn in a
//! per-channel governor (a FIFO queue: waiters are served in order). A 429 is retried after its
//! `Retry-After` seconds (a few times). Slack's Web API reports other errors as HTTP 200 with
//! `{"ok": false, "error": …}`.

use super::blocks;
use crate::config::CompanyConfig;
use crate::copilot::drafts::{CardRef, DraftCard};
use crate::copilot::token;
use crate::state::App;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
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

fn limiter() -> &'static DefaultKeyedRateLimiter<String> {
    static L: OnceLock<DefaultKeyedRateLimiter<String>> = OnceLock::new();
    L.get_or_init(|| RateLimiter::keyed(Quota::per_second(NonZeroU32::MIN)))
}

/// One FIFO queue per channel in front of the governor, so posts leave in the order they came.
fn queue(key: &str) -> Arc<tokio::sync::Mutex<()>> {
    static Q: OnceLock<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    let mut m = Q
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if m.len() > 10_000 {
        m.retain(|_, v| Arc::strong_count(v) > 1);
    }
    m.entry(key.to_owned()).or_default().clone()
}

/// A Web API client for one company.
#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl SlackClient {
    /// The company's client, or `None` when it has no Slack section or its bot token is unset.
    pub fn for_company(app: &App, company: &CompanyConfig) -> Option<SlackClient> {
        let s = company.slack.as_ref()?;
        let token = app.secrets.var(&s.bot_token_env)?;
        Some(SlackClient {
            http: app.http.clone(),
            base: app.settings.service.slack.api_base_url.trim_end_matches('/').to_owned(),
            token,
        })
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
        let key = format!("{}|{channel}", self.base);
        let q = queue(&key);
        let _turn = q.lock().await;
        limiter().until_key_ready(&key).await;
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

async fn wait_retry_after(resp: &reqwest::Response) -> Result<(), SlackError> {
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

/// POSTs a message to a `response_url` (replies to commands and clicks; 5 uses in 30 minutes).
pub async fn respond(http: &reqwest::Client, response_url: &str, body: &Value) -> Result<(), SlackError> {
    for _ in 0..MAX_ATTEMPTS {
        let resp = http
            .post(response_url)
            .json(body)
            .send()
            .await
            .map_err(|e| SlackError::Transport(e.without_url().to_string()))?;
        if resp.status().as_u16() == 429 {
            wait_retry_after(&resp).await?;
            continue;
        }
        if !resp.status().is_success() {
            return Err(SlackError::Api(format!("response_url answered {}", resp.status())));
        }
        return Ok(());
    }
    Err(SlackError::RateLimited)
}

/// The button key for Slack (derived from the signing secret), if Slack is configured.
pub fn button_key(app: &App) -> Option<Vec<u8>> {
    app.secrets
        .slack_signing_secret
        .as_ref()
        .map(|s| token::derive_key(s.expose_secret().as_bytes()))
}

/// Posts a draft card to `channel`; `None` when Slack posting is off for the company.
pub async fn post_draft_card(
    app: &App,
    company: &CompanyConfig,
    channel: &str,
    card: &DraftCard,
) -> Result<Option<CardRef>, SlackError> {
    let (Some(client), Some(key)) = (SlackClient::for_company(app, company), button_key(app)) else {
        return Ok(None);
    };
    let (text, blocks) = blocks::draft_card(card, &key);
    let ts = client.post_message(channel, &text, Some(&blocks)).await?;
    Ok(Some(CardRef {
        platform: "slack".into(),
        channel: channel.to_owned(),
        ts,
    }))
}

/// Re-renders a posted draft card.
pub async fn update_draft_card(
    app: &App,
    company: &CompanyConfig,
    channel: &str,
    ts: &str,
    card: &DraftCard,
) -> Result<(), SlackError> {
    let (Some(client), Some(key)) = (SlackClient::for_company(app, company), button_key(app)) else {
        return Ok(());
    };
    let (text, blocks) = blocks::draft_card(card, &key);
    client.update(channel, ts, &text, &blocks).await
}

/// Posts plain mrkdwn text; `false` when Slack posting is off for the company.
pub async fn post_text(app: &App, company: &CompanyConfig, channel: &str, text: &str) -> Result<bool, SlackError> {
    let Some(client) = SlackClient::for_company(app, company) else {
        return Ok(false);
    };
    let blocks = blocks::text_blocks(text);
    client
        .post_message(channel, &blocks::fallback(text), Some(&blocks))
        .await?;
    Ok(true)
}
