//! The profile panel's speed against Redis, in one process: the service on a free port with its
//! worker, contacts created through the Chatwoot webhook and analysed, then
//!
//! 1. **first paint**: `GET /panel/{company}?key=…&contact=…` (the whole page with the profile,
//!    no client round trip), one request at a time over random contacts; p50/p99/max;
//! 2. **live update**: N open panels (SSE, one per contact), then webhooks one after another for
//!    random contacts with an open panel; the time from sending the webhook to that panel's
//!    `change` event, and to the refreshed view fetched after it (what the page does); p50/p99/max.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run --release --example panel_bench -- \
//!     [--contacts 200] [--paints 2000] [--panels 200] [--updates 100] [--block-ms 500]
//! ```
//! Keys go under a fresh `bench:<uuid>:` prefix, deleted afterwards.

use dossier::channels::chatwoot::signature::sign;
use dossier::config::{Secrets, Settings};
use dossier::startup::{Application, build_state};
use dossier::store::redis::RedisStore;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "bench-chatwoot-secret";
const KEY: &str = "bench-panel-key";

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        v.len(),
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0)
    );
}

fn wa(i: usize) -> String {
    format!("5215500{i:06}")
}

fn event(i: usize, n: u64, text: &str) -> serde_json::Value {
    json!({
        "event": "message_created", "id": n, "content": text, "content_type": "text",
        "message_type": "incoming", "private": false, "source_id": format!("wamid.BENCH.{i}.{n}"),
        "created_at": jiff::Timestamp::now().to_string(),
        "sender": { "id": 10_000 + i, "name": format!("Customer {i}"), "type": "contact", "phone_number": format!("+{}", wa(i)) },
        "inbox": { "id": 41, "name": "WhatsApp" }, "account": { "id": 7, "name": "Bench" },
        "conversation": { "id": i, "inbox_id": 41, "meta": { "sender": { "id": 10_000 + i, "name": format!("Customer {i}"), "phone_number": format!("+{}", wa(i)) } } }
    })
}

async fn post(client: &reqwest::Client, base: &str, body: &serde_json::Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let ts = jiff::Timestamp::now().as_second().to_string();
    let r = client
        .post(format!("{base}/webhooks/chatwoot"))
        .header("content-type", "application/json")
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", sign(SECRET.as_bytes(), &ts, &bytes))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "webhook: {}", r.status());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (mut contacts, mut paints, mut panels, mut updates) = (200usize, 2000usize, 200usize, 100usize);
    // The worker's blocking read: a job queued on another stream than the one it blocks on
    // waits up to this long, which is most of a live update's latency (500 in the shipped
    // config/dossier.toml; 1000 when the file does not say).
    let mut block_ms = 500usize;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v: usize = it
            .next()
            .and_then(|v| v.parse().ok())
            .expect("a number after each flag");
        match flag.as_str() {
            "--contacts" => contacts = v,
            "--paints" => paints = v,
            "--panels" => panels = v,
            "--updates" => updates = v,
            "--block-ms" => block_ms = v,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    let panels = panels.min(contacts);
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let dir = std::env::temp_dir().join(format!("dossier-panel-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("companies"))?;
    std::fs::write(
        dir.join("dossier.toml"),
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[worker]\nenabled = true\nblock_ms = {block_ms}\nconcurrency = 8\nsweep_secs = 3600\n"
        ),
    )?;
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog/demo-motors.csv");
    std::fs::write(
        dir.join("companies/bench.toml"),
        format!(
            "id = \"bench\"\nname = \"Bench Motors\"\ncatalog = \"{}\"\n[chatwoot]\naccount_id = 7\ninbox_ids = [41]\n\
             webhook_secret_env = \"BENCH_CW_SECRET\"\n[panel]\nkey_env = \"BENCH_PANEL_KEY\"\n",
            catalog.display()
        ),
    )?;
    let settings = Settings::load(&dir)?;
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let store = Arc::new(RedisStore::connect(&redis, dossier::startup::redis_options(&settings, &prefix)).await?);
    let secrets = Secrets::explicit(
        [("BENCH_CW_SECRET", SECRET), ("BENCH_PANEL_KEY", KEY)].map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let state = build_state(settings, secrets, store.clone()).await?;
    let app = Application::build(state.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;

    // Contacts, each with a conversation the analyzer has something to say about.
    let texts = [
        "Hola, ¿tienen el Toyota Corolla 2022? Mi presupuesto es de 25 mil dólares",
        "Quiero financiar a 60 meses con 5 mil de enganche",
        "Tengo un Honda Civic 2015 para dar a cuenta",
    ];
    for i in 0..contacts {
        for (n, t) in texts.iter().enumerate() {
            post(&client, &base, &event(i, (i * 10 + n) as u64, t)).await;
        }
    }
    let company = dossier_core::CompanyId::parse("bench")?;
    let start = Instant::now();
    loop {
        let mut done = 0;
        for i in 0..contacts {
            let id = dossier_core::ContactId::parse(wa(i))?;
            let snap = dossier::store::Store::snapshot(
                store.as_ref(),
                &company,
                &id,
                dossier::store::SnapshotRequest::document_only(),
            )
            .await?;
            if snap.folded >= snap.stored && snap.stored > 0 {
                done += 1;
            }
        }
        if done == contacts {
            break;
        }
        anyhow::ensure!(start.elapsed() < Duration::from_secs(300), "analysis did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "seeded {contacts} contacts ({} messages; analysed {:?} after the last webhook); worker block_ms = {block_ms}",
        contacts * texts.len(),
        start.elapsed()
    );

    // 1. First paint.
    let url = |i: usize| format!("{base}/panel/bench?key={KEY}&contact=%2B{}", wa(i));
    for i in 0..contacts.min(50) {
        client.get(url(i)).send().await?.text().await?;
    }
    let mut times = Vec::with_capacity(paints);
    for n in 0..paints {
        let i = (n * 7919) % contacts;
        let t = Instant::now();
        let r = client.get(url(i)).send().await?;
        anyhow::ensure!(r.status().is_success(), "panel: {}", r.status());
        let body = r.text().await?;
        times.push(t.elapsed());
        anyhow::ensure!(body.contains("data-field=\"stage\""), "the page has the profile");
    }
    report("first paint (whole page, HTTP included)", times);

    // 2. Live updates with N open panels.
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let sse = reqwest::Client::new();
    let mut streams = Vec::new();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<()>();
    for i in 0..panels {
        let (sse, tx, ready_tx) = (sse.clone(), tx.clone(), ready_tx.clone());
        let url = format!("{base}/panel/bench/events?key={KEY}&contact={}", wa(i));
        streams.push(tokio::spawn(async move {
            let mut r = sse.get(url).send().await.unwrap();
            let mut buf = String::new();
            while let Ok(Some(chunk)) = r.chunk().await {
                buf.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buf.find("\n\n") {
                    let frame: String = buf.drain(..end + 2).collect();
                    if frame.contains("event: ready") {
                        let _ = ready_tx.send(());
                    } else if frame.contains("event: change") {
                        let _ = tx.send((i, Instant::now()));
                    }
                }
            }
        }));
    }
    for _ in 0..panels {
        ready_rx.recv().await;
    }
    println!("{panels} panels open");
    tokio::time::sleep(Duration::from_millis(500)).await;
    while rx.try_recv().is_ok() {}
    let (mut to_event, mut to_view) = (Vec::new(), Vec::new());
    let follow = [
        "¿Y lo tienen en gris?",
        "Mi presupuesto subió a 28 mil dólares",
        "¿Puedo ir el sábado a una prueba de manejo?",
    ];
    for n in 0..updates {
        let i = (n * 104_729) % panels;
        let sent = Instant::now();
        post(
            &client,
            &base,
            &event(i, 1_000_000 + n as u64, follow[n % follow.len()]),
        )
        .await;
        let deadline = sent + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, rx.recv()).await {
                Ok(Some((who, at))) if who == i => {
                    to_event.push(at - sent);
                    client
                        .get(url(i).replace("/panel/bench?", "/panel/bench/view?"))
                        .send()
                        .await?
                        .text()
                        .await?;
                    to_view.push(sent.elapsed());
                    break;
                }
                Ok(Some(_)) => continue,
                _ => {
                    to_event.push(Duration::from_secs(5));
                    to_view.push(Duration::from_secs(5));
                    println!("update {n}: no change event within 5 s");
                    break;
                }
            }
        }
        // Let the contact's draft job (a second notice) pass, then wait a random part of the
        // worker's block cycle, so webhooks arrive at random moments of it as they do in life
        // (a fixed pace would always hit the same point of the cycle).
        let pause = 150 + rand::random_range(0..block_ms.max(1) as u64);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        while rx.try_recv().is_ok() {}
    }
    report(
        &format!("live update, webhook → change event ({panels} open panels)"),
        to_event,
    );
    report(
        &format!("live update, webhook → refreshed view ({panels} open panels)"),
        to_view,
    );

    for s in streams {
        s.abort();
    }
    shutdown.cancel();
    let _ = server.await;
    // Clean up the bench's keys.
    let client = redis::Client::open(redis.as_str())?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await?;
    for chunk in keys.chunks(500) {
        redis::cmd("DEL").arg(chunk).query_async::<()>(&mut conn).await?;
    }
    Ok(())
}
