//! The ingestion API: bearer auth per company, validation, dedupe.

use crate::helpers::*;
use serde_json::{Value, json};

fn msg(id: &str) -> Value {
    json!({ "contact": { "wa_id": "5215550005555", "profile_name": "Luis" },
            "message": { "id": id, "direction": "in", "timestamp": "2026-10-01T15:04:05Z", "text": "Hola, ¿tienen el Corolla 2022?" } })
}

async fn post(app: &TestApp, company: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut r = app
        .client
        .post(format!("{}/v1/companies/{company}/messages", app.address))
        .json(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn ingest_then_read_and_duplicates_change_nothing() {
    let app = spawn_app().await;
    let r = post(&app, "acme", Some(ACME_TOKEN), &msg("in.1")).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["stored"], true);
    let r = post(&app, "acme", Some(ACME_TOKEN), &msg("in.1")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["stored"], false);
    let v: Value = app
        .get_messages("acme", "5215550005555", ACME_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["messages"].as_array().unwrap().len(), 1);
    // The admin token opens every company.
    assert_eq!(
        app.get_messages("acme", "5215550005555", ADMIN_TOKEN).await.status(),
        200
    );
}

#[tokio::test]
async fn a_company_token_cannot_touch_another_company() {
    let app = spawn_app().await;
    post(&app, "acme", Some(ACME_TOKEN), &msg("in.2")).await;
    let r = app.get_messages("acme", "5215550005555", OTHER_TOKEN).await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "forbidden");
    assert_eq!(post(&app, "acme", Some(OTHER_TOKEN), &msg("in.3")).await.status(), 403);
    assert_eq!(post(&app, "acme", None, &msg("in.4")).await.status(), 401);
    assert_eq!(post(&app, "acme", Some("nope"), &msg("in.5")).await.status(), 401);
    assert_eq!(
        post(&app, "nobody", Some(ADMIN_TOKEN), &msg("in.6")).await.status(),
        404
    );
    assert_eq!(
        post(&app, "Bad{Id}", Some(ADMIN_TOKEN), &msg("in.6")).await.status(),
        400
    );
}

#[tokio::test]
async fn bad_bodies_get_clear_errors() {
    let app = spawn_app().await;
    let cases = [
        (json!({ "contact": {}, "message": msg("x")["message"] }), 422),
        (
            json!({ "contact": { "wa_id": "52 155" }, "message": msg("x")["message"] }),
            422,
        ),
        (
            json!({ "contact": { "wa_id": "1" }, "message": { "id": "x", "direction": "sideways", "timestamp": "2026-10-01T15:04:05Z", "text": "a" } }),
            422,
        ),
        (
            json!({ "contact": { "wa_id": "1" }, "message": { "id": "x", "direction": "in", "timestamp": "yesterday", "text": "a" } }),
            422,
        ),
        (
            json!({ "contact": { "wa_id": "1" }, "message": { "id": "x", "direction": "in", "timestamp": "2026-10-01T15:04:05Z" } }),
            422,
        ),
        (
            json!({ "contact": { "wa_id": "1" }, "message": msg("x")["message"], "extra": 1 }),
            422,
        ),
    ];
    for (body, status) in cases {
        let r = post(&app, "acme", Some(ACME_TOKEN), &body).await;
        assert_eq!(r.status(), status, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let r = app
        .client
        .post(format!("{}/v1/companies/acme/messages", app.address))
        .bearer_auth(ACME_TOKEN)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .get(format!("{}/v1/companies/acme/contacts/1/messages?limit=0", app.address))
        .bearer_auth(ACME_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}
