//! What became of each draft, counted once: approved as is, edited (with the characters
//! changed), discarded, superseded, and the agents' votes, served per language and intent by
//! `GET /v1/companies/{c}/drafts/stats` and exported to Prometheus.

use crate::slack::{ACME_API, TEAM, eventually, mock_graph_ok, mock_slack_ok, spawn_chat_app};
use dossier::copilot::approve::{Decision, decide};
use dossier::copilot::drafts;
use serde_json::Value;
use std::time::Duration;

fn button(blocks: &Value, action: &str) -> Option<String> {
    blocks.as_array()?.iter().find_map(|b| {
        b["elements"]
            .as_array()?
            .iter()
            .find(|e| e["action_id"] == action)
            .and_then(|e| e["value"].as_str().map(str::to_owned))
    })
}

#[tokio::test]
async fn every_outcome_and_vote_is_counted_once_per_language_and_intent() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    let stats = || async {
        let r = app
            .http
            .get(format!("{}/v1/companies/acme/drafts/stats", app.address))
            .bearer_auth(ACME_API)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()
    };

    // Draft 1: two thumbs up (one counts), then approved as is from the Slack card.
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.draft_job().await.unwrap();
    let card = app.slack_bodies("/api/chat.postMessage").await.pop().unwrap();
    let up = button(&card["blocks"], "draft_vote_up").expect("a thumbs-up button");
    for _ in 0..2 {
        assert_eq!(app.click(TEAM, "draft_vote_up", &up, "1.1").await.status(), 200);
    }
    let approve = button(&card["blocks"], "draft_approve").unwrap();
    app.click(TEAM, "draft_approve", &approve, "1.1").await;
    assert!(eventually(|| async { app.graph_bodies().await.len() == 1 }).await);
    assert!(eventually(|| async { stats().await["all"]["approved"] == 1 }).await);
    assert_eq!(
        stats().await["all"]["thumbs_up"],
        1,
        "a second vote on one draft does not count"
    );

    // Draft 2: sent after the agent changed it.
    app.seed_customer(jiff::SignedDuration::from_mins(4)).await;
    app.draft_job().await.unwrap();
    let (_, d2) = drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    let edited = format!("{} ¡Saludos!", d2.text);
    decide(
        &app.state,
        &app.company,
        &app.contact(),
        d2.seq,
        Decision::Approve { text: Some(edited) },
        "ana",
    )
    .await
    .unwrap();

    // Draft 3 is superseded by draft 4, which is discarded; a click on draft 3 does nothing.
    app.seed_customer(jiff::SignedDuration::from_mins(3)).await;
    app.draft_job().await.unwrap();
    let (_, d3) = drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    app.seed_customer(jiff::SignedDuration::from_mins(2)).await;
    app.draft_job().await.unwrap();
    let (_, d4) = drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    assert!(d4.seq > d3.seq);
    decide(
        &app.state,
        &app.company,
        &app.contact(),
        d3.seq,
        Decision::Discard,
        "ana",
    )
    .await
    .unwrap();
    decide(
        &app.state,
        &app.company,
        &app.contact(),
        d4.seq,
        Decision::Discard,
        "ana",
    )
    .await
    .unwrap();
    decide(
        &app.state,
        &app.company,
        &app.contact(),
        d4.seq,
        Decision::Discard,
        "ana",
    )
    .await
    .unwrap();

    let s = stats().await;
    let all = &s["all"];
    assert_eq!(all["approved"], 1, "{s}");
    assert_eq!(all["edited"], 1, "{s}");
    assert_eq!(all["discarded"], 1, "a second discard of one draft does not count: {s}");
    assert_eq!(all["superseded"], 1, "{s}");
    assert_eq!(all["decided"], 3);
    assert_eq!(all["mean_edit_distance"], 10.0, "' ¡Saludos!' is 10 characters: {s}");
    let rate = all["sent_rate"].as_f64().unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{s}");
    assert_eq!(s["by_language"]["es"]["decided"], 3, "{s}");
    assert!(
        s["by_intent"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["decided"].as_i64().unwrap())
            .sum::<i64>()
            == 3
    );

    // The same numbers in Prometheus.
    let metrics = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("dossier_draft_outcomes_total"), "no outcome counter");
    assert!(metrics.contains("outcome=\"edited\""));
    assert!(metrics.contains("dossier_draft_feedback_total"));

    // Another company's token, no token, and another company's path are refused.
    for (path, token) in [
        ("/v1/companies/acme/drafts/stats", None),
        ("/v1/companies/beta/drafts/stats", Some(ACME_API)),
    ] {
        let mut r = app.http.get(format!("{}{path}", app.address));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 403 | 404), "{path}: {}", r.status());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}
