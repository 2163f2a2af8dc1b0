//! `POST /slack/commands` and `POST /slack/interactions`.
//!
//! Both verify the v0 signature on the raw body (5-minute window) before reading it, map the
//! workspace (`team_id`) to its company, and answer within Slack's 3 seconds: quick answers inline,
//! slow work (drafts, handoffs, sending) acknowledged at once and finished through `response_url`
//! or `chat.update`. A bad signature is a 401; an unknown workspace gets an ephemeral error (and a
//! click from one does nothing).

use super::blocks::{
    self, ACTION_APPROVE, ACTION_DISCARD, ACTION_EDIT, ACTION_EVIDENCE, ACTION_HAND_BACK, ACTION_PICK_PREFIX,
    ACTION_TAKE_OVER, ACTION_TEMPLATE, ACTION_VOTE_DOWN, ACTION_VOTE_UP, EDIT_CALLBACK, EDIT_TAKE_OVER,
};
use super::signature;
use crate::copilot::approve::{self, Decision};
use crate::copilot::drafts::{self, DraftCard};
use crate::copilot::ports::ChatKind;
use crate::copilot::{self, Caller, Reply, command, token};
use crate::http::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dossier_core::{CompanyId, ContactId};
use metrics::counter;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

/// The slash-command form (the fields dossier reads).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CommandForm {
    #[serde(default)]
    pub team_id: String,
    #[serde(default)]
    pub channel_id: String,
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub user_name: String,
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub response_url: String,
    #[serde(default)]
    pub trigger_id: String,
}

fn ephemeral(text: &str) -> Response {
    Json(json!({ "response_type": "ephemeral", "text": text })).into_response()
}

/// Verifies the request; returns the signing secret's button key.
fn verify(app: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let secret = app
        .secrets
        .slack_signing_secret
        .as_ref()
        .ok_or_else(|| ApiError::NotConfigured("SLACK_SIGNING_SECRET is not set".into()))?;
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    signature::verify(
        secret.expose_secret().as_bytes(),
        h("x-slack-request-timestamp"),
        h("x-slack-signature"),
        body,
        signature::unix_now(),
        app.settings.service.slack.max_clock_skew_secs,
    )
    .map_err(|e| {
        counter!("dossier_slack_requests_total", "outcome" => "rejected").increment(1);
        ApiError::Unauthorized(e.to_string())
    })?;
    Ok(token::derive_key(secret.expose_secret().as_bytes()))
}

fn company_of(app: &AppState, team: &str) -> Option<CompanyId> {
    app.settings
        .by_slack_team
        .get(team)
        .and_then(|c| CompanyId::parse(c.clone()).ok())
}

/// `POST /slack/commands`.
pub async fn commands(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let key = verify(&app, &headers, &body)?;
    let form: CommandForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a slash-command form: {e}")))?;
    let Some(company) = company_of(&app, &form.team_id) else {
        counter!("dossier_slack_requests_total", "outcome" => "unknown_team").increment(1);
        return Ok(ephemeral(
            "This Slack workspace is not connected to dossier. Ask an admin to add its team_id to a company.",
        ));
    };
    counter!("dossier_slack_requests_total", "outcome" => "command").increment(1);
    let parsed = match command::parse(&form.text) {
        Ok(p) => p,
        Err(u) => return Ok(ephemeral(&u.message())),
    };
    let caller = Caller {
        user_id: form.user_id.clone(),
        user_name: form.user_name.clone(),
        channel_id: form.channel_id.clone(),
    };
    if copilot::is_slow(&parsed.command) {
        let what = match parsed.command {
            command::Command::Draft { .. } => "Drafting a reply…",
            _ => "Preparing the handoff…",
        };
        let url = form.response_url.clone();
        tokio::spawn(async move {
            let reply = match copilot::execute(&app, &company, &parsed.command, &caller).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = ?e, "slash command failed");
                    Reply::Text("Sorry, that did not work. Try again in a minute.".into())
                }
            };
            let mut body = blocks::reply_body(&reply, company.as_str(), &key, parsed.share);
            body["replace_original"] = json!(true);
            if let Err(e) = crate::channels::respond(&app.http, &url, &body).await {
                tracing::warn!(error = %e, "could not answer through response_url");
            }
        });
        return Ok(ephemeral(what));
    }
    let reply = match copilot::execute(&app, &company, &parsed.command, &caller).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = ?e, "slash command failed");
            Reply::Text("Sorry, that did not work. Try again in a minute.".into())
        }
    };
    Ok(Json(blocks::reply_body(&reply, company.as_str(), &key, parsed.share)).into_response())
}

#[derive(Debug, Deserialize)]
struct InteractionForm {
    payload: String,
}

/// `POST /slack/interactions`: buttons (`block_actions`) and the Edit modal (`view_submission`).
pub async fn interactions(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let key = verify(&app, &headers, &body)?;
    let form: InteractionForm =
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::BadRequest(format!("no payload field: {e}")))?;
    let payload: Value =
        serde_json::from_str(&form.payload).map_err(|e| ApiError::BadRequest(format!("payload is not JSON: {e}")))?;
    let team = payload["team"]["id"]
        .as_str()
        .or(payload["user"]["team_id"].as_str())
        .unwrap_or("");
    let Some(company) = company_of(&app, team) else {
        counter!("dossier_slack_requests_total", "outcome" => "unknown_team").increment(1);
        tracing::warn!(team, "interaction from a workspace no company owns: ignored");
        return Ok(StatusCode::OK.into_response());
    };
    let agent = payload["user"]["id"]
        .as_str()
        .map(|u| format!("<@{u}>"))
        .unwrap_or_else(|| "an agent".into());
    match payload["type"].as_str() {
        Some("block_actions") => block_action(app, key, company, agent, payload).await,
        Some("view_submission") if payload["view"]["callback_id"] == EDIT_CALLBACK => {
            edit_submitted(app, key, company, agent, payload).await
        }
        _ => Ok(StatusCode::OK.into_response()),
    }
}

/// A verified button: the company in the value must be the workspace's company.
fn checked(key: &[u8], value: &str, action: &str, company: &CompanyId) -> Option<ContactId> {
    let r = token::verify(key, value, action)?;
    if r.company != company.as_str() {
        return None;
    }
    ContactId::parse(r.contact).ok()
}

async fn block_action(
    app: AppState,
    key: Vec<u8>,
    company: CompanyId,
    agent: String,
    payload: Value,
) -> Result<Response, ApiError> {
    let action = &payload["actions"][0];
    let action_id = action["action_id"].as_str().unwrap_or("").to_owned();
    let value = action["value"].as_str().unwrap_or("").to_owned();
    let response_url = payload["response_url"].as_str().unwrap_or("").to_owned();
    let container_ts = payload["container"]["message_ts"].as_str().map(str::to_owned);
    // Pick-list buttons are `pick_<subcommand>_<n>`; the signature covers `pick_<subcommand>`.
    let base_action = if action_id.starts_with(ACTION_PICK_PREFIX) {
        action_id
            .rsplit_once('_')
            .map(|(b, _)| b.to_owned())
            .unwrap_or_default()
    } else {
        action_id.clone()
    };
    let Some(contact) = checked(&key, &value, &base_action, &company) else {
        counter!("dossier_slack_requests_total", "outcome" => "forged_button").increment(1);
        tracing::warn!(action = %action_id, "button value does not verify for this workspace: ignored");
        return Ok(StatusCode::OK.into_response());
    };
    let seq = token::verify(&key, &value, &base_action)
        .map(|r| r.version)
        .unwrap_or(0);
    let trigger = payload["trigger_id"].as_str().unwrap_or("").to_owned();
    tokio::spawn(async move {
        let result = match action_id.as_str() {
            ACTION_EVIDENCE => evidence(&app, &company, &contact, &response_url).await,
            ACTION_EDIT => open_edit(&app, &key, &company, &contact, seq, &trigger, &response_url).await,
            ACTION_VOTE_UP | ACTION_VOTE_DOWN => {
                voted(
                    &app,
                    &company,
                    &contact,
                    seq,
                    action_id == ACTION_VOTE_UP,
                    &response_url,
                )
                .await
            }
            ACTION_APPROVE | ACTION_DISCARD | ACTION_TEMPLATE | ACTION_TAKE_OVER | ACTION_HAND_BACK => {
                let decision = match action_id.as_str() {
                    ACTION_APPROVE => Decision::Approve { text: None },
                    ACTION_TAKE_OVER => Decision::TakeOver { text: None },
                    ACTION_HAND_BACK => Decision::HandBack,
                    ACTION_TEMPLATE => Decision::Template,
                    _ => Decision::Discard,
                };
                decided(
                    &app,
                    &key,
                    &company,
                    &contact,
                    seq,
                    decision,
                    &agent,
                    &response_url,
                    container_ts.as_deref(),
                )
                .await
            }
            _ => {
                let then = base_action.trim_start_matches(ACTION_PICK_PREFIX).to_owned();
                match copilot::run_on(&app, &company, &then, &contact).await {
                    Ok(reply) => {
                        let mut body = blocks::reply_body(&reply, company.as_str(), &key, false);
                        body["replace_original"] = json!(true);
                        crate::channels::respond(&app.http, &response_url, &body)
                            .await
                            .map_err(Into::into)
                    }
                    Err(e) => Err(e),
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = ?e, "button action failed");
        }
    });
    Ok(StatusCode::OK.into_response())
}

/// A thumbs up or down on the contact's current draft `seq`; the first vote on a draft counts.
async fn voted(
    app: &AppState,
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    up: bool,
    response_url: &str,
) -> anyhow::Result<()> {
    let Some((_, d)) = crate::copilot::drafts::load(app, company, contact).await? else {
        return Ok(());
    };
    if d.seq != seq {
        return Ok(());
    }
    let counted = crate::copilot::drafts::outcomes::vote(app, company, contact, &d, up).await;
    let text = if counted {
        "Thanks: your vote counts in this company's draft statistics."
    } else {
        "This draft already has a vote."
    };
    let body = json!({ "response_type": "ephemeral", "replace_original": false, "text": text });
    crate::channels::respond(&app.http, response_url, &body).await?;
    Ok(())
}

async fn evidence(app: &AppState, company: &CompanyId, contact: &ContactId, response_url: &str) -> anyhow::Result<()> {
    if let Reply::Card(card) = copilot::run_on(app, company, "profile", contact).await? {
        let (text, b) = blocks::evidence(&card);
        let body = json!({ "response_type": "ephemeral", "replace_original": false, "text": text, "blocks": b });
        crate::channels::respond(&app.http, response_url, &body).await?;
    }
    Ok(())
}

async fn open_edit(
    app: &AppState,
    key: &[u8],
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    trigger: &str,
    response_url: &str,
) -> anyhow::Result<()> {
    let Some((_, draft)) = drafts::load(app, company, contact).await? else {
        return Ok(());
    };
    if draft.seq != seq || draft.status != drafts::DraftStatus::Pending {
        return Ok(());
    }
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| anyhow::anyhow!("unknown company"))?;
    let Some(slack) = rt.chat(ChatKind::Slack) else {
        anyhow::bail!("the company has no Slack: cannot open the Edit modal")
    };
    let card = DraftCard {
        company: company.to_string(),
        contact: contact.to_string(),
        draft,
    };
    let _ = key;
    let reply_to = (!response_url.is_empty()).then_some(response_url);
    if !slack.open_editor(trigger, &card, reply_to).await? {
        anyhow::bail!("no Slack bot token: cannot open the Edit modal")
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn decided(
    app: &AppState,
    key: &[u8],
    company: &CompanyId,
    contact: &ContactId,
    seq: u64,
    decision: Decision,
    agent: &str,
    response_url: &str,
    message_ts: Option<&str>,
) -> anyhow::Result<()> {
    let Some(draft) = approve::decide(app, company, contact, seq, decision, agent).await? else {
        return Ok(());
    };
    // Cards posted by the bot were updated with chat.update; others (an agent's ephemeral
    // `/dossier draft`) are replaced through the response_url.
    let posted = message_ts.is_some_and(|ts| draft.cards.iter().any(|c| c.ts == ts));
    if !posted && !response_url.is_empty() {
        let card = DraftCard {
            company: company.to_string(),
            contact: contact.to_string(),
            draft,
        };
        let (text, b) = blocks::draft_card(&card, key);
        crate::channels::respond(
            &app.http,
            response_url,
            &json!({ "replace_original": true, "text": text, "blocks": b }),
        )
        .await?;
    }
    Ok(())
}

async fn edit_submitted(
    app: AppState,
    key: Vec<u8>,
    company: CompanyId,
    agent: String,
    payload: Value,
) -> Result<Response, ApiError> {
    let meta: Value = payload["view"]["private_metadata"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let r = meta["ref"].as_str().unwrap_or("");
    // A modal opened while another responder handled the conversation was signed as a take-over
    // (and said so); any other submits a plain Approve, refused if the thread changed hands since.
    let (signed_for, take_over) = if checked(&key, r, EDIT_TAKE_OVER, &company).is_some() {
        (EDIT_TAKE_OVER, true)
    } else {
        (EDIT_CALLBACK, false)
    };
    let Some(contact) = checked(&key, r, signed_for, &company) else {
        tracing::warn!("Edit modal with a forged reference: ignored");
        return Ok(StatusCode::OK.into_response());
    };
    let seq = token::verify(&key, r, signed_for).map(|r| r.version).unwrap_or(0);
    let text = payload["view"]["state"]["values"]["draft_text"]["text"]["value"]
        .as_str()
        .unwrap_or("")
        .trim()
        .to_owned();
    if text.is_empty() {
        return Ok(Json(json!({
            "response_action": "errors",
            "errors": { "draft_text": "The reply is empty." }
        }))
        .into_response());
    }
    let response_url = meta["response_url"].as_str().unwrap_or("").to_owned();
    tokio::spawn(async move {
        let r = decided(
            &app,
            &key,
            &company,
            &contact,
            seq,
            if take_over {
                Decision::TakeOver { text: Some(text) }
            } else {
                Decision::Approve { text: Some(text) }
            },
            &agent,
            &response_url,
            None,
        )
        .await;
        if let Err(e) = r {
            tracing::warn!(error = ?e, "sending an edited draft failed");
        }
    });
    Ok(StatusCode::OK.into_response())
}
