//! A failing machine: Redis restarting empty or killed, persistence settings, a crash between
//! storing a message and queuing its job in a Cluster, entries that are not jobs, a worker that
//! must not hold more than it can run, a corrupt profile document.

use crate::helpers::*;
use dossier::jobs::job::Job;
use dossier::store::redis::RedisStore;
use dossier::store::{DeadKind, Durability, Queue, SnapshotRequest, Store};
use dossier_core::{CompanyId, ContactId};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn acme() -> CompanyId {
    "acme".parse().unwrap()
}

async fn private_app(redis: &PrivateRedis, extra: &str) -> TestApp {
    let dir = test_config_dir(extra);
    let settings = dossier::config::Settings::load(&dir).unwrap();
    let prefix = unique_prefix();
    let store = RedisStore::connect(&redis.url(), dossier::startup::redis_options(&settings, &prefix))
        .await
        .unwrap();
    spawn_on(dir, prefix, Arc::new(store)).await
}

async fn until(what: &str, secs: u64, mut f: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !f().await {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn folded(store: &dyn Store, contact: &str) -> bool {
    let s = store
        .snapshot(&acme(), &contact.parse().unwrap(), SnapshotRequest::document_only())
        .await;
    matches!(s, Ok(s) if s.stored > 0 && s.folded == s.stored)
}

#[tokio::test]
async fn a_redis_restart_does_not_stop_the_worker_and_readyz_says_so_meanwhile() {
    let mut redis = PrivateRedis::start(&["--appendonly", "no"]);
    let app = private_app(&redis, "[worker]\nenabled = true\nblock_ms = 100\n").await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(
        app.post_texts("5215550002001", &[("wamid.f1", 1_780_000_000, "Hola, busco un Camry")])
            .await
            .status(),
        200
    );
    until("the first analysis", 10, async || {
        folded(app.store.as_ref(), "5215550002001").await
    })
    .await;
    redis.kill();
    until("/readyz to fail", 10, async || app.get("/readyz").await.status() == 503).await;
    // Redis comes back empty: no streams, no consumer groups.
    redis.restart();
    // No /readyz call before the worker has to cope alone: its reads answer NOGROUP.
    until("a message to be accepted again", 20, async || {
        app.post_texts("5215550002002", &[("wamid.f2", 1_780_000_100, "Hola, busco un Civic")])
            .await
            .status()
            == 200
    })
    .await;
    until("the worker to analyse again (groups recreated)", 20, async || {
        folded(app.store.as_ref(), "5215550002002").await
    })
    .await;
    until("/readyz to recover", 20, async || {
        app.get("/readyz").await.status() == 200
    })
    .await;
}

#[tokio::test]
async fn persistence_is_read_at_start_and_require_aof_refuses_to_start_without_it() {
    let volatile = PrivateRedis::start(&["--appendonly", "no"]);
    let durable = PrivateRedis::start(&["--appendonly", "yes", "--appendfsync", "everysec"]);
    let dir = test_config_dir("[redis]\nrequire_aof = true\n");
    let settings = dossier::config::Settings::load(&dir).unwrap();
    for (redis, want_durable) in [(&volatile, false), (&durable, true)] {
        let store = RedisStore::connect(&redis.url(), dossier::startup::redis_options(&settings, "t:"))
            .await
            .unwrap();
        let d = store.durability().await;
        assert_eq!(matches!(d, Durability::AppendOnly { .. }), want_durable, "{d:?}");
        let started = dossier::startup::check_durability(&settings, &store).await;
        assert_eq!(started.is_ok(), want_durable, "require_aof: {started:?}");
    }
    assert_eq!(
        RedisStore::connect(&durable.url(), dossier::startup::redis_options(&settings, "t:"))
            .await
            .unwrap()
            .durability()
            .await,
        Durability::AppendOnly {
            fsync: "everysec".into()
        }
    );
    let mut relaxed = settings.clone();
    relaxed.service.redis.require_aof = false;
    let store = RedisStore::connect(&volatile.url(), dossier::startup::redis_options(&relaxed, "t:"))
        .await
        .unwrap();
    assert!(
        dossier::startup::check_durability(&relaxed, &store).await.is_ok(),
        "warns, starts"
    );
}

/// kill -9 of Redis after the acknowledgements: with an append-only file (fsync always) every
/// acknowledged message is readable after the restart; without one, they are gone (what the
/// start-up warning says).
#[tokio::test]
async fn acknowledged_messages_survive_a_redis_kill_9_with_an_append_only_file() {
    for (args, survive) in [
        (&["--appendonly", "yes", "--appendfsync", "always"][..], true),
        (&["--appendonly", "no"][..], false),
    ] {
        let mut redis = PrivateRedis::start(args);
        let app = private_app(&redis, "").await;
        let mut acked = 0;
        for i in 0..60 {
            let wa = format!("52155500030{:02}", i % 6);
            let r = app
                .post_texts(
                    &wa,
                    &[(&format!("wamid.k{i}"), 1_780_000_000 + i, "Hola, ¿tienen el Corolla?")],
                )
                .await;
            assert_eq!(r.status(), 200);
            acked += 1;
        }
        redis.kill();
        redis.restart();
        let store = RedisStore::connect(
            &redis.url(),
            dossier::startup::redis_options(&app.state.settings, &app.prefix),
        )
        .await
        .unwrap();
        let mut readable = 0;
        for c in 0..6 {
            let ct: ContactId = format!("52155500030{c:02}").parse().unwrap();
            readable += store.messages(&acme(), &ct, 1000, None).await.unwrap().len();
        }
        if survive {
            assert_eq!(readable, acked, "{args:?}: every acknowledged message is readable");
        } else {
            assert_eq!(
                readable, 0,
                "{args:?}: without an append-only file a restart loses them"
            );
        }
    }
}

/// In a Cluster the message and its job are two commands: a failure between them (the job lost)
/// leaves a contact whose messages are ahead of its profile. Meta's redelivery is a duplicate (no
/// job again), and the sweep finds the contact and queues its analysis.
#[tokio::test]
async fn a_job_lost_between_store_and_queue_in_a_cluster_is_found_by_the_sweep() {
    let Some(url) = cluster_url() else { return };
    let dir = test_config_dir("");
    let settings = dossier::config::Settings::load(&dir).unwrap();
    let prefix = unique_prefix();
    let store = RedisStore::connect(&url, dossier::startup::redis_options(&settings, &prefix))
        .await
        .unwrap();
    assert!(store.is_cluster());
    store.inject_enqueue_faults(1);
    let store: Arc<dyn Store> = Arc::new(store);
    let app = spawn_on(dir, prefix, store).await;
    let wa = "5215550004001";
    let body = serde_json::to_vec(&texts_envelope(
        ACME_PNIDS[0],
        wa,
        &[("wamid.s1", 1_780_000_000, "Hola")],
    ))
    .unwrap();
    assert_eq!(
        app.post_webhook(&body).await.status(),
        503,
        "the fault surfaces: Meta retries"
    );
    assert_eq!(
        app.post_webhook(&body).await.status(),
        200,
        "the redelivery is a duplicate"
    );
    assert_eq!(app.drain_jobs().await, 0, "no job was queued for the stored message");
    assert!(!folded(app.store.as_ref(), wa).await);
    let now = jiff::Timestamp::now();
    let from = jiff::Timestamp::from_second(1_779_999_000).unwrap();
    let queued = dossier::jobs::sweep::sweep(&app.state, from, now).await.unwrap();
    assert_eq!(queued, 1);
    app.drain_jobs().await;
    assert!(
        folded(app.store.as_ref(), wa).await,
        "the sweep's job folded the message"
    );
    assert_eq!(
        dossier::jobs::sweep::sweep(&app.state, from, now).await.unwrap(),
        0,
        "nothing behind now"
    );
}

#[tokio::test]
async fn entries_that_are_not_jobs_are_dead_lettered_at_once() {
    let app = spawn_app().await;
    let ct: ContactId = "5215550005001".parse().unwrap();
    app.store
        .enqueue(Queue::Analysis, &acme(), &ct, "not json")
        .await
        .unwrap();
    app.store
        .enqueue(
            Queue::Drafts,
            &acme(),
            &ct,
            r#"{"company":"acme","contact":"!!","kind":"draft","pos":1}"#,
        )
        .await
        .unwrap();
    // A raw entry with no `job` field at all, written by something else.
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let n = dossier::store::stream_index("acme", ct.as_str(), app.state.settings.service.redis.job_streams);
    let _: String = redis::cmd("XADD")
        .arg(format!("{}{{jobs:{n}}}", app.prefix))
        .arg("*")
        .arg("other")
        .arg("x")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(app.drain_jobs().await, 3);
    let dead = app.store.dead_letters(DeadKind::Jobs, 10).await.unwrap();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(dead.iter().any(|d| d.reason.contains("no `job` field")));
    assert!(dead.iter().filter(|d| d.reason.contains("not a job")).count() == 2);
    for q in Queue::ALL {
        assert_eq!(
            app.store.pending_jobs(q).await.unwrap(),
            0,
            "nothing left pending to be reclaimed forever"
        );
    }
    assert_eq!(app.drain_jobs().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_worker_claims_only_what_it_can_run() {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_delay(Duration::from_millis(250)))
        .mount(&llm)
        .await;
    let app = spawn_app_configured(
        Backend::Redis,
        "[worker]\nenabled = true\nconcurrency = 2\nblock_ms = 50\n[llm]\nallow_http_hosts = [\"127.0.0.1\"]\n",
        &format!("[providers.openai]\nbase_url = \"{}/v1\"\n", llm.uri()),
    )
    .await;
    let put = app
        .api(
            Method::PUT,
            "/v1/companies/acme/settings",
            ACME_TOKEN,
            Some(json!({ "provider": "openai", "model": "m", "timeout_secs": 1 })),
        )
        .await;
    assert_eq!(put.status(), 200);
    for i in 0..8 {
        let wa = format!("521555000600{i}");
        app.post_texts(&wa, &[(&format!("wamid.c{i}"), 1_780_000_000, "Hola")])
            .await;
    }
    let mut most = 0;
    let start = Instant::now();
    loop {
        most = most.max(app.store.pending_jobs(Queue::Analysis).await.unwrap());
        let mut done = 0;
        for i in 0..8 {
            if folded(app.store.as_ref(), &format!("521555000600{i}")).await {
                done += 1;
            }
        }
        if done == 8 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "only {done} of 8 analysed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(most <= 2, "held {most} jobs at concurrency 2");
    assert!(most >= 1);
}

#[tokio::test]
async fn a_corrupt_profile_document_is_rebuilt_from_the_conversation() {
    let app = spawn_app().await;
    let wa = "5215550007001";
    app.ingest(
        wa,
        "c.1",
        "in",
        "2026-10-01T10:00:00Z",
        "Hola, quiero el Corolla, mi presupuesto es 25 mil",
    )
    .await;
    app.drain_jobs().await;
    let ct: ContactId = wa.parse().unwrap();
    let snap = app
        .store
        .snapshot(&acme(), &ct, SnapshotRequest::document_only())
        .await
        .unwrap();
    let v = snap.profile.unwrap().version;
    assert!(
        app.store
            .put_profile(&acme(), &ct, v, b"{\"not\": \"a profile\"", 1)
            .await
            .unwrap()
    );
    let r = app
        .api(
            Method::GET,
            &format!("/v1/companies/acme/contacts/{wa}/profile"),
            ACME_TOKEN,
            None,
        )
        .await;
    assert_eq!(r.status(), 200, "a corrupt document is not a 500");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["interests"][0]["model"], "Corolla", "{p}");
    assert!(app.drain_jobs().await >= 1, "reading queued its rebuild");
    let snap = app
        .store
        .snapshot(&acme(), &ct, SnapshotRequest::document_only())
        .await
        .unwrap();
    let doc: dossier::analysis::doc::ProfileDoc = serde_json::from_slice(&snap.profile.unwrap().body).unwrap();
    assert_eq!(doc.profile.budget.unwrap().amount.to_string(), "25000");
    assert_eq!(snap.folded, snap.stored);
    let _ = Job::analyze(&acme(), &ct);
}

/// `[redis] ack_replicas`: a message is acknowledged only once a replica holds it. Without a
/// replica the webhook answers 503 (stored on the master, so Meta's retry is a duplicate that
/// waits again); once a replica follows, the retry is acknowledged, and the replica has it.
#[tokio::test]
async fn ack_replicas_acknowledges_only_what_a_replica_holds() {
    let master = PrivateRedis::start(&["--appendonly", "no"]);
    let app = private_app(
        &master,
        "[worker]\nenabled = false\n[redis]\nack_replicas = 1\nack_replicas_timeout_ms = 1000\n",
    )
    .await;
    let wa = "5215550002301";
    let started = Instant::now();
    let r = app
        .post_texts(wa, &[("wamid.ack1", 1_780_000_000, "Hola, busco un Corolla")])
        .await;
    assert_eq!(r.status(), 503, "no replica: not acknowledged");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited {:?}",
        started.elapsed()
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable");

    let replica = PrivateRedis::start(&[
        "--appendonly",
        "no",
        "--replicaof",
        "127.0.0.1",
        &master.port.to_string(),
    ]);
    until("the retry to be acknowledged once a replica follows", 20, async || {
        app.post_texts(wa, &[("wamid.ack1", 1_780_000_000, "Hola, busco un Corolla")])
            .await
            .status()
            == 200
    })
    .await;
    let r = app
        .post_texts(wa, &[("wamid.ack2", 1_780_000_060, "¿Y el precio?")])
        .await;
    assert_eq!(r.status(), 200);
    // The replica holds both: read them there.
    let mut c = redis::Client::open(replica.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*{wa}*:msg", app.prefix))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let n: usize = redis::cmd("HLEN").arg(&keys[0]).query_async(&mut c).await.unwrap();
    assert_eq!(n, 2);
}
