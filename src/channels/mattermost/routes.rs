//! `POST /mattermost/commands` and `POST /mattermost/actions`.
//!
//! A slash command carries its command's token (`Authorization: Token …` or the `token` field):
//! Mattermost gives every slash command its own, so the token decides the company, and the team
//! the request names must be that company's team. A button calls back with the signed `context`
//! dossier put on it: bound to company, contact and action, expiring, and signed with a key
//! derived from the company's command token, so one company's token holder cannot forge another's.
//! Answers are synchronous: `{"update": …}` or `{"ephemeral_text": …}`.

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
    user_name: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    response_url: String,
}

fn ephemeral(text: &str) -> Json<Value> {
    Json(json!({ "response_type": "ephemeral", "text": text }))
}

/// The company whose slash-command token this is (compared in constant time with every one).
fn company_by_token(app: &AppState, given: &str) -> Option<CompanyId> {
    if given.is_empty() {
        return None;
    }
    let mut found = None;
    for c in app.settings.companies.values() {
        let Some(m) = &c.mattermost else { continue };
        if let Some(secret) = app.secrets.var(&m.command_token_env)
            && bool::from(given.as_bytes().ct_eq(secret.expose_secret().as_bytes()))
        {
            found = CompanyId::parse(c.id.clone()).ok();
        }
    }
    found
}

/// `response_url` is only called when it points at the company's own Mattermost server.
fn own_server(app: &AppState, company: &CompanyId, response_url: &str) -> bool {
    let Some(server) = app
        .settings
        .companies
        .get(company.as_str())
        .and_then(|c| c.mattermost.as_ref())
        .and_then(|m| m.server_url.as_deref())
    else {
        return false;
    };
    match (reqwest::Url::parse(server), reqwest::Url::parse(response_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// `POST /mattermost/commands`.
pub async fn commands(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, ApiError> {
    let form: CommandForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a slash-command form: {e}")))?;
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Token ").or_else(|| v.strip_prefix("Bearer ")))
        .unwrap_or(&form.token);
    let company = company_by_token(&app, given)
        .ok_or_else(|| ApiError::Unauthorized("the Mattermost command token matches no company".into()))?;
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let team = rt.config.mattermost.as_ref().map(|m| m.team_id.as_str()).unwrap_or("");
    if form.team_id != team {
        return Err(ApiError::Forbidden(
            "this command token belongs to another Mattermost team".into(),
        ));
    }
    let key = button_key(&app.secrets, &rt.config)
        .ok_or_else(|| ApiError::NotConfigured("the company's Mattermost command token is not set".into()))?;
    let parsed = match command::parse(&form.text) {
        Ok(p) => p,
        Err(u) => return Ok(ephemeral(&u.message())),
    };
    let url = actions_url(&app.settings);
    let caller = Caller {
        user_id: String::new(),
        user_name: format!("@{}", form.user_name),
        channel_id: form.channel_id.clone(),
    };
    if copilot::is_slow(&parsed.command) && own_server(&app, &company, &form.response_url) {
        let response_url = form.response_url.clone();
        tokio::spawn(async move {
            let reply = copilot::execute(&app, &company, &parsed.command, &caller)
                .await
                .unwrap_or_else(|e| {
                    tracing::error!(error = ?e, "Mattermost command failed");
                    Reply::Text("Sorry, that did not work. Try again in a minute.".into())
                });
            let body = render::reply_body(&reply, company.as_str(), &key, &url, parsed.share);
            if let Err(e) = crate::channels::respond(&app.http, &response_url, &body).await {
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
pub async fn actions(State(app): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let req: ActionRequest =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(format!("not an action request: {e}")))?;
    let action = req.context["action"].as_str().unwrap_or("").to_owned();
    let r = req.context["ref"].as_str().unwrap_or("");
    let Some(company) = app
        .settings
        .by_mattermost_team
        .get(&req.team_id)
        .and_then(|c| CompanyId::parse(c.clone()).ok())
    else {
        return Ok(ignored("This Mattermost team is not connected to dossier."));
    };
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("unknown company `{company}`")))?;
    let key = button_key(&app.secrets, &rt.config)
        .ok_or_else(|| ApiError::NotConfigured("the company's Mattermost command token is not set".into()))?;
    let Some(b) = token::verify(&key, r, &action).filter(|b| b.company == company.as_str()) else {
        tracing::warn!(action, "Mattermost button that does not verify: ignored");
        return Ok(ignored("This button is not valid here."));
    };
    let Ok(contact) = ContactId::parse(b.contact) else {
        return Ok(ignored("This button is not valid here."));
    };
    let url = actions_url(&app.settings);
    let agent = if req.user_name.is_empty() {
        req.user_id.clone()
    } else {
        format!("@{}", req.user_name)
    };
    let decision = match action.as_str() {
        render::ACTION_APPROVE => Some(Decision::Approve { text: None }),
        render::ACTION_TAKE_OVER => Some(Decision::TakeOver { text: None }),
        render::ACTION_HAND_BACK => Some(Decision::HandBack),
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
