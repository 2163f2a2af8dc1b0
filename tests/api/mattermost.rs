//! Mattermost copilot end to end: token-checked slash command → text + attachments card; a button
//! whose context carries the signed reference → Graph API fake receives the message.

use crate::slack::{MM_TEAM, MM_TOKEN, WA_ID, mock_graph_ok, spawn_chat_app};
use dossier::copilot;
use serde_json::{Value, json};

async fn command(app: &crate::slack::ChatApp, token: &str, text: &str) -> reqwest::Response {
    let body = serde_urlencoded::to_string([
        ("team_id", MM_TEAM),
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
