//! The channels dossier talks through: WhatsApp and Chatwoot (customers), Slack and Mattermost (agents). Each
//! implements a port the copilot owns (`copilot::ports`) and verifies its own inbound requests.

pub mod chatwoot;
pub mod mattermost;
pub mod slack;
pub mod whatsapp;

use serde_json::Value;

/// Why a `response_url` reply failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    #[error("the response_url answered HTTP {0}")]
    Status(u16),
    #[error("the response_url's rate limit persisted")]
    RateLimited,
    #[error("could not reach the response_url: {0}")]
    Transport(String),
}

/// POSTs a message to a `response_url` (replies to commands and clicks; 5 uses in 30 minutes).
pub async fn respond(http: &reqwest::Client, response_url: &str, body: &Value) -> Result<(), ReplyError> {
    for _ in 0..slack::client::MAX_ATTEMPTS {
        let resp = http
            .post(response_url)
            .json(body)
            .send()
            .await
            .map_err(|e| ReplyError::Transport(e.without_url().to_string()))?;
        if resp.status().as_u16() == 429 {
            slack::client::wait_retry_after(&resp)
                .await
                .map_err(|_| ReplyError::RateLimited)?;
            continue;
        }
        if !resp.status().is_success() {
            return Err(ReplyError::Status(resp.status().as_u16()));
        }
        return Ok(());
    }
    Err(ReplyError::RateLimited)
}
