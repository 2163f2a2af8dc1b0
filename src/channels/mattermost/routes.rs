//! `POST /mattermost/commands` (static token: `Authorization: Token …` or the `token` field) and
//! `POST /mattermost/actions` (JSON from the Mattermost server; the button's `context` carries a
//! signed reference). Button answers are synchronous: `{"update": …}` or `{"ephemeral_text": …}`.

use super::client::{actions_url, button_key};
use super::render;
use crate::copilot::approve::{self, Decision};
use crate::copilot::drafts::DraftCard;
use crate::copilot::{self, Caller, Reply, command, token};
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use dossier_core::{CompanyId, ContactId};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

#[derive(Debug, Default, Deserialize)]
struct CommandForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    channel_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    response_url: String,
}

fn company_of(app: &AppState, team: &str) -> Option<CompanyId> {
    app.settings
        .by_mattermost_team
        .get(team)
        .and_then(|c| CompanyId::parse(c.clone()).ok())
}

fn ephemeral(text: &str) -> Json<Value> {
    Json(json!({ "response_type": "ephemeral", "text": text }))
}

/// The actions URL as Mattermost reached us (when `MATTERMOST_ACTIONS_URL` is unset).
fn url_from(headers: &HeaderMap) -> Option<String> {
    let host = headers.get("host")?.to_str().ok()?;
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    Some(format!("{proto}://{host}/mattermost/actions"))
}

/// `POST /mattermost/commands`.
pub async fn commands(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let expected = app
        .secrets
        .mattermost_token
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured("MATTERMOST_TOKEN is not set".into()))?;
    let form: CommandForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a slash-command form: {e}")))?;
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Token ").or_else(|| v.strip_prefix("Bearer ")))
        .unwrap_or(&form.token);
    let ok: bool = header.as_bytes().ct_eq(expected.expose_secret().as_bytes()).into();
    if !ok || header.is_empty() {
        return Err(ApiError::Unauthorized("the Mattermost token does not match".into()));
    }
    let key = token::derive_key(expected.expose_secret().as_bytes());
    let Some(company) = company_of(&app, &form.team_id) else {
        return Ok(ephemeral(
            "This Mattermost team is not connected to dossier. Ask an admin to add its team id to a company.",
        ));
    };
    let parsed = match command::parse(&form.text) {
        Ok(p) => p,
        Err(u) => return Ok(ephemeral(&u.message())),
    };
    let url = actions_url(&app, url_from(&headers));
    let caller = Caller {
        user_id: String::new(),
        user_name: format!("@{}", form.user_name),
        channel_id: form.channel_id.clone(),
    };
    let _ = &form.user_id;
    if copilot::is_slow(&parsed.command) {
        let response_url = form.response_url.clone();
        tokio::spawn(async move {
            let reply = copilot::execute(&app, &company, &parsed.command, &caller)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = ?e, "Mattermost command failed");
                    Reply::Text("Sorry, that did not work. Try again in a minute.".into())
                });
            let body = render::reply_body(&reply, company.as_str(), &key, &url, parsed.share);
            if let Err(e) = crate::channels::slack::client::respond(&app.http, &response_url, &body).await {
                tracing::warn!(error = %e, "could not answer through the Mattermost response_url");
            }
        });
        return Ok(ephemeral("Working on it…"));
    }
    let reply = copilot::execute(&app, &company, &parsed.command, &caller)
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = ?e, "Mattermost command failed");
            Reply::Text("Sorry, that did not work. Try again in a minute.".into())
        });
    Ok(Json(render::reply_body(
        &reply,
        company.as_str(),
        &key,
        &url,
        parsed.share,
    )))
}

#[derive(Debug, Deserialize)]
struct ActionRequest {
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    context: Value,
}

fn ignored(why: &str) -> Json<Value> {
    Json(json!({ "ephemeral_text": why }))
}

/// `POST /mattermost/actions`.
pub async fn actions(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let key = button_key(&app).ok_or_else(|| ApiError::NotConfigured("MATTERMOST_TOKEN is not set".into()))?;
    let req: ActionRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("not an action request: {e}")))?;
    let action = req.context["action"].as_str().unwrap_or("").to_owned();
    let r = req.context["ref"].as_str().unwrap_or("");
    let Some(company) = company_of(&app, &req.team_id) else {
        return Ok(ignored("This Mattermost team is not connected to dossier."));
    };
    let Some(b) = token::verify(&key, r, &action).filter(|b| b.company == company.as_str()) else {
        tracing::warn!(action, "Mattermost button that does not verify: ignored");
        return Ok(ignored("This button is not valid here."));
    };
    let Ok(contact) = ContactId::parse(b.contact) else {
        return Ok(ignored("This button is not valid here."));
    };
    let url = actions_url(&app, url_from(&headers));
    let agent = if req.user_name.is_empty() {
        req.user_id.clone()
    } else {
        format!("@{}", req.user_name)
    };
    let decision = match action.as_str() {
        render::ACTION_APPROVE => Some(Decision::Approve { text: None }),
        render::ACTION_TEMPLATE => Some(Decision::Template),
        render::ACTION_DISCARD => Some(Decision::Discard),
        _ => None,
    };
    if let Some(decision) = decision {
        let draft = approve::decide(&app, &company, &contact, b.version, decision, &agent)
            .await
            .map_err(ApiError::Internal)?;
        let Some(draft) = draft else {
            return Ok(ignored("This draft is gone."));
        };
        let card = DraftCard {
            company: company.to_string(),
            contact: contact.to_string(),
            draft,
        };
        let (message, attachments) = render::draft_card(&card, &key, &url);
        return Ok(Json(
            json!({ "update": { "message": message, "props": { "attachments": attachments } } }),
        ));
    }
    if action == render::ACTION_EVIDENCE {
        if let Reply::Card(card) = copilot::run_on(&app, &company, "profile", &contact)
            .await
            .map_err(ApiError::Internal)?
        {
            return Ok(Json(json!({ "ephemeral_text": render::evidence(&card) })));
        }
        return Ok(ignored("No evidence to show."));
    }
    if let Some(then) = action.strip_prefix(render::ACTION_PICK_PREFIX) {
        let reply = copilot::run_on(&app, &company, then, &contact)
            .await
            .map_err(ApiError::Internal)?;
        let (message, attachments) = render::render(&reply, company.as_str(), &key, &url);
        return Ok(Json(
            json!({ "update": { "message": message, "props": { "attachments": attachments } } }),
        ));
    }
    Ok(ignored("Unknown action."))
}
