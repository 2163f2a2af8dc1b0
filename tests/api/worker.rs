//! The analysis worker: inside `serve`, concurrency without lost updates, retries and dead
//! letters, graceful shutdown, and the LLM provider path with its fallback.

use crate::helpers::*;
use dossier::jobs::job::Job;
use dossier::store::{DeadKind, Queue};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn profile(app: &TestApp, contact: &str) -> Value {
    app.api(
        Method::GET,
        &format!("/v1/companies/acme/contacts/{contact}/profile"),
        ACME_TOKEN,
        None,
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn the_worker_inside_serve_analyses_webhook_messages() {
    let app = spawn_app_with(Backend::Redis, "[worker]\nenabled = true\nblock_ms = 100\n").await;
    let body = serde_json::to_vec(&json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "1", "phone_number_id": "1122334455667" },
        "contacts": [{ "profile": { "name": "Ana Torres" }, "wa_id": "5215550009999" }],
        "messages": [{ "from": "5215550009999", "id": "wamid.w1", "timestamp": "1760000000", "type": "text",
                       "text": { "body": "Hola, busco una camioneta Tacoma, mi presupuesto es de 35 mil dólares" } }] } }] }] }))
    .unwrap();
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    let start = Instant::now();
    loop {
        let store = &app.store;
        let doc = store
            .doc(&"acme".parse().unwrap(), &"5215550009999".parse().unwrap(), "profile")
            .await
            .unwrap();
        if doc.is_some() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the worker did not analyse the message"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let p = profile(&app, "5215550009999").await;
    assert_eq!(p["interests"][0]["model"], "Tacoma");
    assert_eq!(p["budget"]["amount"], "35000");
    assert_eq!(p["contact"]["name"], "Ana Torres");
}

#[tokio::test]
async fn concurrent_jobs_of_one_contact_never_lose_an_update() {
    let app = spawn_app().await;
    let c = "5215550008888";
    app.ingest(
        c,
        "k.1",
        "in",
        "2026-10-01T10:00:00Z",
        "I want the Honda CR-V, budget 28k",
    )
    .await;
    app.ingest(
        c,
        "k.2",
        "in",
        "2026-10-01T10:01:00Z",
        "I have a 2016 Mazda 3 to trade in",
    )
    .await;
    app.ingest(
        c,
        "k.3",
        "in",
        "2026-10-01T10:02:00Z",
        "and I'd like financing over 60 months",
    )
    .await;
    // The three messages wait for one analysis job; queue two more, as a sweep or a retry could.
    let (co, ct) = ("acme".parse().unwrap(), c.parse().unwrap());
    for _ in 0..2 {
        Job::analyze(&co, &ct).enqueue(app.store.as_ref()).await.unwrap();
    }
    let jobs = app.store.read_jobs(Queue::Analysis, "w", 10, 0).await.unwrap();
    assert_eq!(jobs.len(), 3);
    // All three at once, as three worker instances would.
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|d| {
            let state = app.state.clone();
            tokio::spawn(async move { dossier::jobs::worker::handle(&state, d).await })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    let p = profile(&app, c).await;
    assert_eq!(p["budget"]["amount"], "28000", "{p}");
    assert_eq!(p["trade_in"]["has"], true, "{p}");
    assert_eq!(p["financing"]["interested"], true, "{p}");
    assert_eq!(p["history"]["messages_in"], 3);
    assert_eq!(app.store.pending_jobs(Queue::Analysis).await.unwrap(), 0);
    assert!(app.store.dead_letters(DeadKind::Jobs, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_job_failing_every_time_is_dead_lettered_after_max_attempts() {
    let app = spawn_app_with(
        Backend::Redis,
        "[worker]\nenabled = false\nmax_attempts = 3\nretry_base_ms = 20\nretry_max_secs = 1\n",
    )
    .await;
    let job = Job {
        company: "ghost".parse().unwrap(),
        ..Job::analyze(&"acme".parse().unwrap(), &"1".parse().unwrap())
    };
    job.enqueue(app.store.as_ref()).await.unwrap();
    // Each failure is retried later, not at once: the first retry waits ~20 ms, the second ~40.
    let started = Instant::now();
    let mut handled = 0;
    let mut at = Vec::new();
    while app.store.dead_letters(DeadKind::Jobs, 10).await.unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(10), "never dead-lettered");
        let n = app.drain_jobs().await;
        if n > 0 {
            at.push(started.elapsed());
        }
        handled += n;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(handled, 3, "first try and two retries");
    assert!(
        at[1] - at[0] >= Duration::from_millis(15),
        "backoff before the first retry: {at:?}"
    );
    assert!(
        at[2] - at[1] >= Duration::from_millis(30),
        "the backoff doubles: {at:?}"
    );
    let dead = app.store.dead_letters(DeadKind::Jobs, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].reason.contains("unknown company"), "{:?}", dead[0]);
    assert!(dead[0].payload.contains("\"ghost\""));
    assert_eq!(app.store.pending_jobs(Queue::Analysis).await.unwrap(), 0);
}

#[tokio::test]
async fn a_stopped_workers_jobs_are_reclaimed_and_shutdown_is_graceful() {
    let app = spawn_app_with(
        Backend::Redis,
        "[worker]\nenabled = false\nclaim_idle_secs = 1\nblock_ms = 100\n",
    )
    .await;
    let c = "5215550007777";
    app.ingest(c, "r.1", "in", "2026-10-01T10:00:00Z", "Do you have the Jeep Wrangler?")
        .await;
    // A consumer takes the job and dies without acknowledging it.
    let taken = app.store.read_jobs(Queue::Analysis, "crashed", 10, 0).await.unwrap();
    assert_eq!(taken.len(), 1);
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(dossier::jobs::worker::run(app.state.clone(), shutdown.clone()));
    let start = Instant::now();
    while app
        .store
        .doc(&"acme".parse().unwrap(), &c.parse().unwrap(), "profile")
        .await
        .unwrap()
        .is_none()
    {
        assert!(start.elapsed() < Duration::from_secs(10), "the job was not reclaimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.store.pending_jobs(Queue::Analysis).await.unwrap(), 0);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), worker)
        .await
        .expect("the worker stops when asked")
        .unwrap();
}

fn openai_answer(content: Value) -> Value {
    json!({ "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4.1-mini",
            "choices": [{ "index": 0, "finish_reason": "stop",
                          "message": { "role": "assistant", "content": content.to_string(), "refusal": null } }],
            "usage": { "prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20 } })
}

#[tokio::test]
async fn an_llm_provider_overlays_the_profile_and_a_failure_falls_back_to_builtin() {
    let llm = MockServer::start().await;
    // The operator allows a local OpenAI-compatible endpoint for acme; the tenant picks it.
    let app = spawn_app_configured(
        Backend::Redis,
        "[llm]\nallow_http_hosts = [\"127.0.0.1\"]\n",
        &format!("[providers.openai]\nbase_url = \"{}/v1\"\n", llm.uri()),
    )
    .await;
    let c = "5215550006666";
    let put = app
        .api(
            Method::PUT,
            "/v1/companies/acme/settings",
            ACME_TOKEN,
            Some(json!({ "provider": "openai", "model": "gpt-4.1-mini" })),
        )
        .await;
    assert_eq!(put.status(), 200);
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(openai_answer(json!({
            "stage": { "value": "negotiating", "evidence": ["l.1"] },
            "intent": { "value": "price", "evidence": ["l.1", "wamid.invented"] },
            "interests": [], "budget": null, "financing": null, "trade_in": null,
            "urgency": "high", "sentiment": "neutral", "name": null, "email": null, "language": "en",
            "objections": [], "open_questions": [],
            "summary": "Wants the best price on a Camry this week.", "next_best_action": "Send the best price."
        }))))
        .up_to_n_times(1)
        .expect(1)
        .mount(&llm)
        .await;
    app.ingest(
        c,
        "l.1",
        "in",
        "2026-10-01T10:00:00Z",
        "What's your best price on the Camry? Need it this week, call me at +1 404 555 0199",
    )
    .await;
    app.drain_jobs().await;
    let p = profile(&app, c).await;
    assert_eq!(p["provider"], "openai", "{p}");
    assert_eq!(p["stage"]["value"], "negotiating");
    assert_eq!(
        p["intent"]["evidence"],
        json!(["l.1"]),
        "an evidence id naming no message is dropped"
    );
    assert_eq!(p["summary"], "Wants the best price on a Camry this week.");
    // The phone number never left the server.
    let sent = llm.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&sent[0].body).to_string();
    assert!(!body.contains("404 555 0199") && !body.contains("4045550199"), "{body}");
    // Now the vendor fails: the builtin analysis stands and says why.
    llm.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&llm)
        .await;
    app.ingest(c, "l.2", "in", "2026-10-01T10:05:00Z", "Also do you have it in white?")
        .await;
    app.drain_jobs().await;
    let p = profile(&app, c).await;
    assert_eq!(p["provider"], "builtin", "{p}");
    assert!(p["provider_note"].as_str().unwrap().contains("openai"), "{p}");
    assert_eq!(p["interests"][0]["model"], "Camry");
}
