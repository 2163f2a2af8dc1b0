//! Load generator for the WhatsApp webhook: posts N unique, signed webhook messages at a running
//! `dossier serve`, then checks that all N are readable through the API, and prints messages/s
//! and acknowledgement latency percentiles.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8080 --messages 50000 --concurrency 64
//! cargo run --release --example loadgen -- --url ... --messages 20000 --rate 2000   # latency at a fixed rate
//! ```
//! The service must run with `WHATSAPP_APP_SECRET` = `--secret` and `DOSSIER_ADMIN_TOKEN` =
//! `--admin-token`, and route `--phone-number-id` to `--company`.

use bytes::Bytes;
use dossier::channels::whatsapp::signature::sign;
use http_body_util::{BodyExt, Full};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    messages: usize,
    concurrency: usize,
    batch: usize,
    rate: Option<f64>,
    contacts: usize,
    secret: String,
    admin_token: String,
    company: String,
    pnid: String,
    verify: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        messages: 10_000,
        concurrency: 64,
        batch: 1,
        rate: None,
        contacts: 1000,
        secret: std::env::var("WHATSAPP_APP_SECRET").unwrap_or_else(|_| "loadgen-secret".into()),
        admin_token: std::env::var("DOSSIER_ADMIN_TOKEN").unwrap_or_else(|_| "loadgen-admin".into()),
        company: "demo-motors".into(),
        pnid: "106540352242922".into(),
        verify: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = val(),
            "--messages" => a.messages = val().parse().expect("--messages N"),
            "--concurrency" => a.concurrency = val().parse().expect("--concurrency C"),
            "--batch" => a.batch = val().parse().expect("--batch B"),
            "--rate" => a.rate = Some(val().parse().expect("--rate messages/s")),
            "--contacts" => a.contacts = val().parse().expect("--contacts N"),
            "--secret" => a.secret = val(),
            "--admin-token" => a.admin_token = val(),
            "--company" => a.company = val(),
            "--phone-number-id" => a.pnid = val(),
            "--no-verify" => a.verify = false,
            other => panic!("unknown flag {other}"),
        }
    }
    a.batch = a.batch.max(1);
    a
}

fn body(a: &Args, run: &str, first: usize) -> Vec<u8> {
    let now = jiff::Timestamp::now().as_second();
    let msgs: Vec<_> = (first..(first + a.batch).min(a.messages))
        .map(|i| {
            let contact = format!("9{:011}", i % a.contacts);
            json!({ "from": contact, "id": format!("wamid.load.{run}.{i}"), "timestamp": now.to_string(),
                    "type": "text", "text": { "body": format!("Hi, is the Corolla {i} still available? budget 25k") } })
        })
        .collect();
    serde_json::to_vec(
        &json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550000000", "phone_number_id": a.pnid },
        "contacts": [], "messages": msgs } }] }] }),
    )
    .unwrap()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// One keep-alive HTTP/1.1 connection (a task's own, as a pooled client would keep it).
async fn connect(authority: &str) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(authority).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(conn);
    send
}

#[tokio::main]
async fn main() {
    let a = Arc::new(parse_args());
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .unwrap();
    let posts = a.messages.div_ceil(a.batch);
    // Every body is built and signed before the clock starts: the timed phase measures the
    // server, not the generator's JSON and HMAC (the same for every server it is pointed at).
    let bodies: Arc<Vec<(Bytes, String)>> = Arc::new(
        (0..posts)
            .map(|n| {
                let b = body(&a, &run, n * a.batch);
                let sig = sign(a.secret.as_bytes(), &b);
                (Bytes::from(b), sig)
            })
            .collect(),
    );
    let uri: hyper::Uri = format!("{}/webhooks/whatsapp", a.url).parse().expect("--url");
    let authority = uri.authority().expect("--url has a host").to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (a, next, failures, bodies, uri, authority) = (
            a.clone(),
            next.clone(),
            failures.clone(),
            bodies.clone(),
            uri.clone(),
            authority.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn = connect(&authority).await;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= posts {
                    break;
                }
                if let Some(rate) = a.rate {
                    // Open-loop pacing: post n is due at n * batch / rate seconds.
                    let due = start + Duration::from_secs_f64(n as f64 * a.batch as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let (b, sig) = &bodies[n];
                let req = hyper::Request::post(uri.clone())
                    .header("host", authority.as_str())
                    .header("content-type", "application/json")
                    .header("x-hub-signature-256", sig.as_str())
                    .body(Full::new(b.clone()))
                    .expect("request");
                if conn.ready().await.is_err() {
                    conn = connect(&authority).await;
                }
                let t = Instant::now();
                let ok = match conn.send_request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        ok && resp.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    lat.sort();
    println!(
        "posted {} messages in {} requests ({} per request), concurrency {}{}",
        a.messages,
        posts,
        a.batch,
        a.concurrency,
        a.rate.map(|r| format!(", paced at {r} msg/s")).unwrap_or_default()
    );
    println!(
        "accepted: {:.0} messages/s over {:.2} s; failed requests: {}",
        a.messages as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        failures.load(Ordering::Relaxed)
    );
    println!(
        "ack latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    if a.verify {
        let mut found = 0usize;
        let wanted = a.contacts.min(a.messages);
        for c in 0..wanted {
            let contact = format!("9{c:011}");
            let mut before: Option<String> = None;
            loop {
                let mut url = format!(
                    "{}/v1/companies/{}/contacts/{contact}/messages?limit=1000",
                    a.url, a.company
                );
                if let Some(b) = &before {
                    url.push_str(&format!("&before={b}"));
                }
                let v: serde_json::Value = client
                    .get(&url)
                    .bearer_auth(&a.admin_token)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let msgs = v["messages"].as_array().cloned().unwrap_or_default();
                found += msgs
                    .iter()
                    .filter(|m| m["id"].as_str().is_some_and(|id| id.contains(&format!(".{run}."))))
                    .count();
                if msgs.len() < 1000 {
                    break;
                }
                before = msgs.first().and_then(|m| m["timestamp"].as_str()).map(str::to_owned);
            }
        }
        println!(
            "verified: {found} of {} messages readable; lost: {}",
            a.messages,
            a.messages.saturating_sub(found)
        );
    }
}
