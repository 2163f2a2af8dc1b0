//! Load generator for `/dossier profile`: posts N signed slash commands at a running
//! `dossier serve` with a given concurrency and prints latency percentiles.
//!
//! ```text
//! SLACK_SIGNING_SECRET=… cargo run --release --example slash_load -- \
//!     --url http://127.0.0.1:8080 --team T0DEMOMOTR --contact 5215512345678 -n 5000 -c 32
//! ```
//! The contact should exist (run `dossier demo` or ingest a message first) so each request reads
//! the profile, the contact record and the messages from the store and renders the card.

use dossier::channels::slack::signature::{sign, unix_now};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Args {
    url: String,
    team: String,
    contact: String,
    n: usize,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = Args {
        url: "http://127.0.0.1:8080".into(),
        team: "T0DEMOMOTR".into(),
        contact: "5215512345678".into(),
        n: 2000,
        concurrency: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--url" => a.url = v,
            "--team" => a.team = v,
            "--contact" => a.contact = v,
            "-n" => a.n = v.parse().expect("-n is a number"),
            "-c" => a.concurrency = v.parse().expect("-c is a number"),
            other => panic!("unknown argument {other} (--url, --team, --contact, -n, -c)"),
        }
    }
    a
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() {
    let a = args();
    let secret = std::env::var("SLACK_SIGNING_SECRET").expect("SLACK_SIGNING_SECRET must be set (same as the server)");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, next, errors, secret) = (client.clone(), next.clone(), errors.clone(), secret.clone());
        let url = format!("{}/slack/commands", a.url.trim_end_matches('/'));
        let body = serde_urlencoded::to_string([
            ("team_id", a.team.as_str()),
            ("channel_id", "C0LOAD"),
            ("user_id", "U0LOAD"),
            ("user_name", "load"),
            ("command", "/dossier"),
            ("text", &format!("profile {}", a.contact)),
            ("response_url", "http://127.0.0.1:9/unused"),
            ("trigger_id", "1.2.3"),
        ])
        .unwrap();
        let n = a.n;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let ts = unix_now().to_string();
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-slack-request-timestamp", &ts)
                    .header("x-slack-signature", sign(secret.as_bytes(), &ts, body.as_bytes()))
                    .body(body.clone())
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    println!(
        "requests {} ok {} errors {} in {:.2}s ({:.0} req/s)",
        a.n,
        all.len(),
        errors.load(Ordering::Relaxed),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        pct(&all, 0.50).as_secs_f64() * 1e3,
        pct(&all, 0.90).as_secs_f64() * 1e3,
        pct(&all, 0.99).as_secs_f64() * 1e3,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}
