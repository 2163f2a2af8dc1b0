//! `GET .../contacts/{contact}/profile` under load: N requests spread over the contacts the
//! `loadgen` example created, at concurrency C; prints requests/s and latency percentiles.
//!
//! ```text
//! cargo run --release --example profile_load -- --url http://127.0.0.1:8080 --requests 20000 --concurrency 32
//! ```
//! Needs `DOSSIER_ADMIN_TOKEN` (or `--admin-token`) as given to the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let mut url = "http://127.0.0.1:8080".to_owned();
    let mut requests = 20_000usize;
    let mut concurrency = 32usize;
    let mut contacts = 1000usize;
    let mut company = "demo-motors".to_owned();
    let mut token = std::env::var("DOSSIER_ADMIN_TOKEN").unwrap_or_else(|_| "loadgen-admin".into());
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = v,
            "--requests" => requests = v.parse().expect("--requests N"),
            "--concurrency" => concurrency = v.parse().expect("--concurrency C"),
            "--contacts" => contacts = v.parse().expect("--contacts N"),
            "--company" => company = v,
            "--admin-token" => token = v,
            other => panic!("unknown flag {other}"),
        }
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, next, errors, url, company, token) = (
            client.clone(),
            next.clone(),
            errors.clone(),
            url.clone(),
            company.clone(),
            token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= requests {
                    return lat;
                }
                let contact = format!("9{:011}", n % contacts);
                let t = Instant::now();
                let r = client
                    .get(format!("{url}/v1/companies/{company}/contacts/{contact}/profile"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let ok = match r {
                    Ok(resp) if resp.status().is_success() => resp.bytes().await.is_ok(),
                    _ => false,
                };
                lat.push(t.elapsed());
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{requests} profile reads, concurrency {concurrency}: {:.0} req/s; errors {}; latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        requests as f64 / secs,
        errors.load(Ordering::Relaxed),
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
}
