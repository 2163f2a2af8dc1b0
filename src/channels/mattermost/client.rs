//! Posting to Mattermost through its REST API: `POST /api/v4/posts`, `PUT /api/v4/posts/{id}`,
//! with the company's bot token (`mattermost.bot_token_env`) on `mattermost.server_url`.

use super::render;
use crate::config::CompanyConfig;
use crate::copilot::drafts::{CardRef, DraftCard};
use crate::copilot::token;
use crate::state::App;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

/// Where Mattermost buttons call back (`…/mattermost/actions`); the service's public URL.
pub const ACTIONS_URL_VAR: &str = "MATTERMOST_ACTIONS_URL";

/// The button key for Mattermost (derived from `MATTERMOST_TOKEN`), if configured.
pub fn button_key(app: &App) -> Option<Vec<u8>> {
    app.secrets
        .mattermost_token
        .as_ref()
        .map(|s| token::derive_key(s.expose_secret().as_bytes()))
}

/// The actions URL from `MATTERMOST_ACTIONS_URL`, else `fallback` (derived from the request).
pub fn actions_url(app: &App, fallback: Option<String>) -> String {
    app.secrets
        .var(ACTIONS_URL_VAR)
        .map(|s| s.expose_secret().to_owned())
        .or(fallback)
        .unwrap_or_else(|| format!("http://{}/mattermost/actions", app.settings.listen))
}

pub struct MattermostClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

impl MattermostClient {
    pub fn for_company(app: &App, company: &CompanyConfig) -> Option<MattermostClient> {
        let m = company.mattermost.as_ref()?;
        let base = m.server_url.as_ref()?.trim_end_matches('/').to_owned();
        let token = app.secrets.var(&m.bot_token_env)?;
        Some(MattermostClient {
            http: app.http.clone(),
            base,
            token,
        })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let resp = req.bearer_auth(self.token.expose_secret()).send().await?;
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            anyhow::bail!("Mattermost answered {status}: {}", v["message"].as_str().unwrap_or(""));
        }
        Ok(v)
    }

    /// Creates a post; returns its id.
    pub async fn create_post(&self, channel_id: &str, message: &str, attachments: &Value) -> anyhow::Result<String> {
        let body = json!({ "channel_id": channel_id, "message": message, "props": { "attachments": attachments } });
        let v = self
            .send(self.http.post(format!("{}/api/v4/posts", self.base)).json(&body))
            .await?;
        Ok(v["id"].as_str().unwrap_or_default().to_owned())
    }

    pub async fn update_post(&self, post_id: &str, message: &str, attachments: &Value) -> anyhow::Result<()> {
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

pub async fn post_draft(
    app: &App,
    company: &CompanyConfig,
    channel: &str,
    card: &DraftCard,
) -> anyhow::Result<Option<CardRef>> {
    let (Some(client), Some(key)) = (MattermostClient::for_company(app, company), button_key(app)) else {
        return Ok(None);
    };
    let (message, attachments) = render::draft_card(card, &key, &actions_url(app, None));
    let id = client.create_post(channel, &message, &attachments).await?;
    Ok(Some(CardRef {
        platform: "mattermost".into(),
        channel: channel.to_owned(),
        ts: id,
    }))
}

pub async fn update_draft_post(
    app: &App,
    company: &CompanyConfig,
    post_id: &str,
    card: &DraftCard,
) -> anyhow::Result<()> {
    let (Some(client), Some(key)) = (MattermostClient::for_company(app, company), button_key(app)) else {
        return Ok(());
    };
    let (message, attachments) = render::draft_card(card, &key, &actions_url(app, None));
    client.update_post(post_id, &message, &attachments).await
}

pub async fn post_text(app: &App, company: &CompanyConfig, channel: &str, text: &str) -> anyhow::Result<bool> {
    let Some(client) = MattermostClient::for_company(app, company) else {
        return Ok(false);
    };
    client.create_post(channel, text, &json!([])).await?;
    Ok(true)
}
