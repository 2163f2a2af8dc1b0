//! Posting to Mattermost through its REST API: `POST /api/v4/posts`, `PUT /api/v4/posts/{id}`,
//! with the company's bot token (`mattermost.bot_token_env`) on `mattermost.server_url`: the
//! copilot's [`TeamChat`] adapter for Mattermost.

use super::render;
use crate::config::{CompanyConfig, Secrets, Settings};
use crate::copilot::drafts::DraftCard;
use crate::copilot::ports::{CardRef, ChatError, ChatKind, TeamChat};
use crate::copilot::token;
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// The company's button key, derived from its slash-command token (`None` when that is unset).
pub fn button_key(secrets: &Secrets, company: &CompanyConfig) -> Option<Vec<u8>> {
    let m = company.mattermost.as_ref()?;
    let secret = secrets.var(&m.command_token_env)?;
    let mut material = secret.expose_secret().as_bytes().to_vec();
    material.extend_from_slice(b"|");
    material.extend_from_slice(company.id.as_bytes());
    Some(token::derive_key(&material))
}

/// Where Mattermost buttons call back: `{server.public_url}/mattermost/actions`, else the
/// listen address. Configuration only, never a request's `Host` header.
pub fn actions_url(settings: &Settings) -> String {
    match &settings.service.server.public_url {
        Some(base) => format!("{}/mattermost/actions", base.trim_end_matches('/')),
        None => format!("http://{}/mattermost/actions", settings.listen),
    }
}

pub struct MattermostClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl MattermostClient {
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, ChatError> {
        let resp = req
            .bearer_auth(self.token.expose_secret())
            .send()
            .await
            .map_err(|e| ChatError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status.as_u16() == 429 {
            return Err(ChatError::RateLimited);
        }
        if !status.is_success() {
            return Err(ChatError::Api(format!(
                "Mattermost answered {status}: {}",
                v["message"].as_str().unwrap_or("")
            )));
        }
        Ok(v)
    }

    /// Creates a post; returns its id.
    pub async fn create_post(&self, channel_id: &str, message: &str, attachments: &Value) -> Result<String, ChatError> {
        let body = json!({ "channel_id": channel_id, "message": message, "props": { "attachments": attachments } });
        let v = self
            .send(self.http.post(format!("{}/api/v4/posts", self.base)).json(&body))
            .await?;
        Ok(v["id"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn update_post(&self, post_id: &str, message: &str, attachments: &Value) -> Result<(), ChatError> {
        let body = json!({ "id": post_id, "message": message, "props": { "attachments": attachments } });
        self.send(
            self.http
                .put(format!("{}/api/v4/posts/{post_id}", self.base))
                .json(&body),
        )
        .await
        .map(|_| ())
    }
}

/// The copilot's [`TeamChat`] on Mattermost, for one company.
pub struct MattermostChat {
    client: Option<MattermostClient>,
    key: Option<Vec<u8>>,
    actions_url: String,
}

impl MattermostChat {
    /// The company's adapter; posting is off when its server URL or bot token is unset.
    pub fn for_company(
        http: &reqwest::Client,
        settings: &Settings,
        secrets: &Secrets,
        company: &CompanyConfig,
    ) -> MattermostChat {
        let client = company.mattermost.as_ref().and_then(|m| {
            Some(MattermostClient {
                http: http.clone(),
                base: m.server_url.as_ref()?.trim_end_matches('/').to_owned(),
                token: secrets.var(&m.bot_token_env)?,
            })
        });
        MattermostChat {
            client,
            key: button_key(secrets, company),
            actions_url: actions_url(settings),
        }
    }

    fn ready(&self) -> Option<(&MattermostClient, &[u8])> {
        Some((self.client.as_ref()?, self.key.as_deref()?))
    }
}

#[async_trait]
impl TeamChat for MattermostChat {
    fn kind(&self) -> ChatKind {
        ChatKind::Mattermost
    }

    fn bold(&self) -> &'static str {
        "**"
    }

    fn mention(&self, caller: &crate::copilot::Caller) -> String {
        caller.user_name.clone()
    }

    async fn post_draft(&self, channel: &str, card: &DraftCard) -> Result<Option<CardRef>, ChatError> {
        let Some((client, key)) = self.ready() else {
            return Ok(None);
        };
        let (message, attachments) = render::draft_card(card, key, &self.actions_url);
        let id = client.create_post(channel, &message, &attachments).await?;
        Ok(Some(CardRef {
            chat: ChatKind::Mattermost,
            channel: channel.to_owned(),
            ts: id,
        }))
    }

    async fn update_draft(&self, at: &CardRef, card: &DraftCard) -> Result<(), ChatError> {
        let Some((client, key)) = self.ready() else {
            return Ok(());
        };
        let (message, attachments) = render::draft_card(card, key, &self.actions_url);
        client.update_post(&at.ts, &message, &attachments).await
    }

    async fn post_text(&self, channel: &str, text: &str) -> Result<bool, ChatError> {
        let Some(client) = &self.client else {
            return Ok(false);
        };
        client.create_post(channel, text, &json!([])).await?;
        Ok(true)
    }
}
