//! Concurrent writers of one contact: every message is folded exactly once, on one instance and
//! on two sharing a store, on Redis and on a Redis Cluster; reading a profile never takes the
//! worker's job away; two messages in one webhook cost one analysis.

use crate::helpers::*;
use dossier::store::{SnapshotRequest, Store};
use dossier_core::{CompanyId, ContactId};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Five catalog models (the analyzer keeps up to 8 interests), each named by four messages.
const MODELS: [&str; 5] = [
    "Honda Civic",
    "Toyota Camry",
    "Ford Escape",
    "Nissan Kicks",
    "Jeep Compass",
];
const PER_TRIAL: usize = 20;
const TRIALS: usize = 50;
/// Trials run at once (each on its own contact).
const PARALLEL: usize = 5;

/// Waits until the contact's profile has folded every stored message; returns the profile.
async fn settled(store: &dyn Store, co: &CompanyId, ct: &ContactId) -> dossier::analysis::doc::ProfileDoc {
    let start = Instant::now();
    loop {
        let snap = store.snapshot(co, ct, SnapshotRequest::document_only()).await.unwrap();
        if snap.stored == PER_TRIAL as u64 && snap.folded == snap.stored {
            return serde_json::from_slice(&snap.profile.unwrap().body).unwrap();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}: folded {} of {} stored",
            ct.masked(),
            snap.folded,
            snap.stored
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One trial: 20 webhooks at once, each one message naming a model; spread over `apps`.
async fn trial(apps: &[&TestApp], trial: usize) {
    let wa_id = format!("52155{:03}{:05}", trial % 1000, rand::random_range(0..100_000u32));
    let base = 1_780_000_000 + trial as i64 * 100;
    let posts = (0..PER_TRIAL).map(|i| {
        let app = apps[i % apps.len()];
        let wa = wa_id.clone();
        async move {
            let id = format!("wamid.c{trial}.{i}");
            let text = format!("Also, what about the {}?", MODELS[i % MODELS.len()]);
            let r = app
                .post_texts(&wa, &[(id.as_str(), base + i as i64, text.as_str())])
                .await;
            assert_eq!(r.status(), 200);
        }
    });
    join_all(posts).await;
    let co: CompanyId = "acme".parse().unwrap();
    let ct: ContactId = wa_id.parse().unwrap();
    let doc = settled(apps[0].store.as_ref(), &co, &ct).await;
    let p = &doc.profile;
    assert_eq!(
        p.history.messages_in as usize, PER_TRIAL,
        "counts follow the stored messages"
    );
    for m in MODELS {
        let (make, model) = m.split_once(' ').unwrap();
        let i = p
            .interests
            .iter()
            .find(|i| i.make == make && i.model == model)
            .unwrap_or_else(|| panic!("trial {trial}: {m} is missing: {:?}", p.interests));
        assert_eq!(
            i.mentions as usize,
            PER_TRIAL / MODELS.len(),
            "trial {trial}: {m}: every message folded exactly once"
        );
    }
    let last = base + PER_TRIAL as i64 - 1;
    assert_eq!(p.history.last_seen.map(|t| t.as_second()), Some(last));
}

async fn run_trials(apps: &[&TestApp]) {
    for batch in (0..TRIALS).collect::<Vec<_>>().chunks(PARALLEL) {
        join_all(batch.iter().map(|t| trial(apps, *t))).await;
    }
}

const WORKER_ON: &str = "[worker]\nenabled = true\nblock_ms = 50\nconcurrency = 8\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_messages_are_folded_exactly_once_on_one_instance() {
    let app = spawn_app_with(Backend::Redis, WORKER_ON).await;
    run_trials(&[&app]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_messages_are_folded_exactly_once_on_two_instances() {
    let a = spawn_app_with(Backend::Redis, WORKER_ON).await;
    let b = a.peer(Backend::Redis).await;
    run_trials(&[&a, &b]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_messages_are_folded_exactly_once_on_a_cluster() {
    if cluster_url().is_none() {
        return;
    }
    let a = spawn_app_with(Backend::Cluster, WORKER_ON).await;
    let b = a.peer(Backend::Cluster).await;
    run_trials(&[&a, &b]).await;
}

fn openai_answer(content: Value) -> Value {
    json!({ "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{ "index": 0, "finish_reason": "stop",
                          "message": { "role": "assistant", "content": content.to_string(), "refusal": null } }] })
}

fn extraction() -> Value {
    json!({ "stage": { "value": "negotiating", "evidence": ["wamid.r1"] }, "intent": null, "interests": [],
            "budget": null, "financing": null, "trade_in": null, "urgency": null, "sentiment": null, "name": null,
            "email": null, "language": "en", "objections": [], "open_questions": [], "summary": "From the model.",
            "next_best_action": null })
}

async fn llm_app(llm: &MockServer) -> TestApp {
    let app = spawn_app_configured(
        Backend::Redis,
        "[llm]\nallow_http_hosts = [\"127.0.0.1\"]\n",
        &format!("[providers.openai]\nbase_url = \"{}/v1\"\n", llm.uri()),
    )
    .await;
    let put = app
        .api(
            Method::PUT,
            "/v1/companies/acme/settings",
            ACME_TOKEN,
            Some(json!({ "provider": "openai", "model": "gpt-test" })),
        )
        .await;
    assert_eq!(put.status(), 200);
    app
}

#[tokio::test]
async fn reading_a_profile_between_webhook_and_worker_leaves_the_llm_and_the_draft_to_the_worker() {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_answer(extraction())))
        .mount(&llm)
        .await;
    let app = llm_app(&llm).await;
    let chat = app.record_chat();
    let wa = "5215550004321";
    let r = app
        .post_texts(
            wa,
            &[(
                "wamid.r1",
                1_780_000_000,
                "How much is the Toyota Camry? I can pay 500 a month",
            )],
        )
        .await;
    assert_eq!(r.status(), 200);
    // A read before the worker ran: the builtin view, and nothing written.
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{wa}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["provider"], "builtin", "{p}");
    assert_eq!(p["interests"][0]["model"], "Camry", "{p}");
    let (co, ct) = ("acme".parse().unwrap(), wa.parse().unwrap());
    let snap = app
        .store
        .snapshot(&co, &ct, SnapshotRequest::document_only())
        .await
        .unwrap();
    assert!(snap.profile.is_none(), "reading never writes the profile");
    assert!(llm.received_requests().await.unwrap().is_empty());
    // The worker then does its job: the LLM analysis and the draft.
    app.drain_jobs().await;
    let p: Value = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{wa}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["provider"], "openai", "{p}");
    assert_eq!(p["summary"], "From the model.");
    assert!(!llm.received_requests().await.unwrap().is_empty());
    assert_eq!(chat.drafts.lock().unwrap().len(), 1, "the draft was posted");
}

#[tokio::test]
async fn two_messages_of_one_contact_in_one_webhook_cost_one_analysis() {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_answer(extraction())))
        .expect(1)
        .mount(&llm)
        .await;
    let app = llm_app(&llm).await;
    let wa = "5215550004322";
    let r = app
        .post_texts(
            wa,
            &[
                ("wamid.r1", 1_780_000_000, "Hi, is the Honda Civic available?"),
                ("wamid.r2", 1_780_000_001, "and the price?"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.drain_jobs().await, 1, "one analysis job for both messages");
    let (co, ct) = ("acme".parse().unwrap(), wa.parse().unwrap());
    let snap = app
        .store
        .snapshot(&co, &ct, SnapshotRequest::document_only())
        .await
        .unwrap();
    assert_eq!((snap.folded, snap.stored), (2, 2));
    // A second job for the contact (a sweep, a retry) finds nothing new and calls nothing.
    dossier::jobs::job::Job::analyze(&co, &ct)
        .enqueue(app.store.as_ref())
        .await
        .unwrap();
    assert_eq!(app.drain_jobs().await, 1);
    // MockServer verifies `.expect(1)` on drop.
}
