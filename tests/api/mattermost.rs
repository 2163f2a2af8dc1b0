//! Mattermost copilot end to end: token-checked slash command → text + attachments card; a button
//! whose context carries the signed reference → Graph API fake receives the message.

use crate::slack::{BETA_MM_TEAM, BETA_MM_TOKEN, MM_TEAM, MM_TOKEN, PUBLIC_URL, WA_ID, mock_graph_ok, spawn_chat_app};
use dossier::copilot;
use serde_json::{Value, json};

async fn command(app: &crate::slack::ChatApp, token: &str, text: &str) -> reqwest::Response {
    command_as(app, token, MM_TEAM, text).await
}

async fn command_as(app: &crate::slack::ChatApp, token: &str, team: &str, text: &str) -> reqwest::Response {
    let body = serde_urlencoded::to_string([
        ("team_id", team),
        ("channel_id", "chan1"),
        ("user_id", "user1"),
        ("user_name", "alan"),
        ("command", "/dossier"),
        ("text", text),
        ("token", token),
    ])
    .unwrap();
    app.http
        .post(format!("{}/mattermost/commands", app.address))
        .header("authorization", format!("Token {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn slash_command_renders_text_and_attachments() {
    let app = spawn_chat_app().await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    let resp = command(&app, MM_TOKEN, "profile 5215512345678").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("blocks").is_none());
    assert!(body["text"].as_str().unwrap().contains("María Souza"), "{body}");
    assert!(
        body["attachments"][0]["fields"]
            .as_array()
            .is_some_and(|f| !f.is_empty())
    );
    assert_eq!(command(&app, "wrong", "help").await.status(), 401);
}

#[tokio::test]
async fn approve_button_sends_through_the_graph_api() {
    let app = spawn_chat_app().await;
    mock_graph_ok(&app.graph).await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    let card = copilot::drafts::draft_on_demand(&app.state, &app.company, &app.contact(), None)
        .await
        .unwrap();
    let rt = app.state.companies.get("acme").unwrap();
    let key = dossier::channels::mattermost::client::button_key(&app.state.secrets, &rt.config).unwrap();
    assert_ne!(
        key,
        copilot::token::derive_key(MM_TOKEN.as_bytes()),
        "a key of the company's own"
    );
    let action = |r: String, team: &str| {
        json!({
            "user_id": "user1", "user_name": "alan", "channel_id": "chan1", "team_id": team,
            "post_id": "post1", "context": { "action": "draft_approve", "ref": r },
        })
    };
    let post = |v: Value| {
        let http = app.http.clone();
        let url = format!("{}/mattermost/actions", app.address);
        async move {
            http.post(url)
                .json(&v)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // forged and foreign clicks do nothing
    let forged = post(action(format!("acme|{WA_ID}|1|deadbeef"), MM_TEAM)).await;
    assert!(forged["ephemeral_text"].is_string());
    let good = copilot::token::sign(&key, "acme", WA_ID, card.draft.seq, "draft_approve");
    post(action(good.clone(), "otherteam")).await;
    assert!(app.graph_bodies().await.is_empty());
    // a real click sends and updates the post
    let answer = post(action(good, MM_TEAM)).await;
    assert!(
        answer["update"]["message"].as_str().unwrap().contains("Reply sent"),
        "{answer}"
    );
    let sent = app.graph_bodies().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"]["body"], card.draft.text.as_str());
}

async fn action(app: &crate::slack::ChatApp, team: &str, action: &str, r: &str) -> Value {
    app.http
        .post(format!("{}/mattermost/actions", app.address))
        .header("host", "attacker.example")
        .header("x-forwarded-proto", "https")
        .json(
            &json!({ "user_id": "u1", "user_name": "eve", "team_id": team, "post_id": "p1",
                       "context": { "action": action, "ref": r } }),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One company's slash-command token reads its own company only; buttons are signed per company,
/// bound to contact and action, expire, and call back to the configured URL, never the Host header.
#[tokio::test]
async fn each_company_has_its_own_command_token_and_button_key() {
    let app = spawn_chat_app().await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    // Acme's card, through acme's token, with buttons calling back to the configured URL.
    let r = command_as(&app, MM_TOKEN, MM_TEAM, &format!("profile {WA_ID}")).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["text"].as_str().unwrap().contains("María Souza"), "{body}");
    let url = body["attachments"][0]["actions"][0]["integration"]["url"]
        .as_str()
        .unwrap();
    assert_eq!(url, format!("{PUBLIC_URL}/mattermost/actions"));
    // Beta's token cannot be used with acme's team (the old `team_id` trick), and sees nothing of acme.
    assert_eq!(command_as(&app, BETA_MM_TOKEN, MM_TEAM, "help").await.status(), 403);
    let r = command_as(&app, BETA_MM_TOKEN, BETA_MM_TEAM, &format!("profile {WA_ID}")).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.contains("María"), "beta read acme's card: {text}");
    assert_eq!(command_as(&app, "", MM_TEAM, "help").await.status(), 401);
    // Buttons: beta's key cannot forge acme's evidence; an expired or moved one does nothing.
    let rt = app.state.companies.get("acme").unwrap();
    let beta = app.state.companies.get("beta").unwrap();
    let acme_key = dossier::channels::mattermost::client::button_key(&app.state.secrets, &rt.config).unwrap();
    let beta_key = dossier::channels::mattermost::client::button_key(&app.state.secrets, &beta.config).unwrap();
    let evidence = "card_evidence";
    let forged = copilot::token::sign(&beta_key, "acme", WA_ID, 0, evidence);
    assert!(
        action(&app, MM_TEAM, evidence, &forged).await["ephemeral_text"]
            .as_str()
            .unwrap()
            .contains("not valid")
    );
    let theirs = copilot::token::sign(&beta_key, "beta", WA_ID, 0, evidence);
    assert!(
        action(&app, BETA_MM_TEAM, evidence, &theirs).await["ephemeral_text"]
            .as_str()
            .unwrap()
            != ""
    );
    let expired = copilot::token::sign_until(&acme_key, "acme", WA_ID, 0, evidence, 1_000);
    let v = action(&app, MM_TEAM, evidence, &expired).await;
    assert!(
        v["ephemeral_text"].as_str().unwrap().contains("not valid"),
        "expired: {v}"
    );
    let good = copilot::token::sign(&acme_key, "acme", WA_ID, 0, evidence);
    let v = action(&app, BETA_MM_TEAM, evidence, &good).await;
    assert!(
        v["ephemeral_text"].as_str().unwrap().contains("not valid"),
        "another team's click: {v}"
    );
    let v = action(&app, MM_TEAM, "draft_approve", &good).await;
    assert!(
        v["ephemeral_text"].as_str().unwrap().contains("not valid"),
        "moved to another action: {v}"
    );
    let v = action(&app, MM_TEAM, evidence, &good).await;
    assert!(
        v["ephemeral_text"].as_str().unwrap().contains("Corolla"),
        "a valid click shows the evidence: {v}"
    );
}
