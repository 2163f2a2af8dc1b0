//! Worker throughput on Redis with one new message per job: each round stores one message for
//! every contact (queuing one analysis job each), then the worker's consumer loop drains the
//! queue; a round's jobs per second is contacts ÷ the time to fold them all. Later rounds fold
//! into profiles that already hold the earlier messages, as in production.
//!
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 cargo run --release --example worker_load -- \
//!     --contacts 2000 --rounds 5 --concurrency 16
//! ```
//! Drafts are off (the company has no drafts channel here), so this is the analysis queue alone.
//!
//! The messages are stored one at a time while the worker runs, so a round can end no sooner
//! than its last message is stored (the line says when that was). `--preload` stores a round's
//! messages without their jobs, then queues the 2,000 jobs at once: the round times the worker's
//! drain alone.

/// The allocator of the `dossier` binary, so the worker runs here as it does in `dossier worker`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use dossier::config::{Secrets, Settings};
use dossier::store::redis::RedisStore;
use dossier::store::{ContactUpdate, Queue, SnapshotRequest, Store};
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TEXTS: [&str; 6] = [
    "Hola, ¿tienen el Toyota Corolla 2022? Mi presupuesto es de 25 mil dólares",
    "I'd like to finance it over 60 months with 5k down, I have a 2015 Civic to trade in",
    "Olá, quero saber o preço do Honda CR-V e se aceitam meu carro na troca",
    "السلام عليكم، كم سعر تويوتا كامري ٢٠٢٣؟ ميزانيتي ١٠٠ ألف",
    "Can I book a test drive on Saturday? I need the car before the 15th",
    "ok perfect, send me the credit application please",
];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let contacts = arg("--contacts", 2000);
    let rounds = arg("--rounds", 5);
    let concurrency = arg("--concurrency", 16);
    let dir = std::env::temp_dir().join(format!("dossier-worker-load-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("companies"))?;
    std::fs::write(
        dir.join("dossier.toml"),
        format!("[worker]\nenabled = true\nconcurrency = {concurrency}\nblock_ms = 20\n"),
    )?;
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog/demo-motors.csv");
    std::fs::write(
        dir.join("companies/bench.toml"),
        format!(
            "id = \"bench\"\nname = \"Bench\"\ncatalog = \"{}\"\n",
            catalog.display()
        ),
    )?;
    let settings = Settings::load(&dir)?;
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let store: Arc<dyn Store> =
        Arc::new(RedisStore::connect(&url, dossier::startup::redis_options(&settings, &prefix)).await?);
    let state = dossier::startup::build_state(settings, Secrets::explicit([]), store.clone()).await?;
    let preload = std::env::args().any(|a| a == "--preload");
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(dossier::jobs::worker::run(state.clone(), shutdown.clone()));
    let co: CompanyId = "bench".parse()?;
    let ids: Vec<ContactId> = (0..contacts)
        .map(|i| format!("52155{i:08}").parse())
        .collect::<Result<_, _>>()?;
    let job = |c: &ContactId| dossier::jobs::job::Job::analyze(&co, c).to_payload();
    println!("contacts {contacts}, rounds {rounds}, concurrency {concurrency}, preload {preload}");
    let mut rates = Vec::new();
    let jobs_done = || -> f64 {
        state
            .metrics
            .render()
            .lines()
            .find(|l| {
                l.starts_with("dossier_jobs_total")
                    && l.contains("queue=\"analysis\"")
                    && l.contains("outcome=\"done\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    for round in 0..rounds {
        let base = 1_780_000_000 + round as i64 * 3600;
        let before = jobs_done();
        // The worker picks the jobs up as they are queued: time from the first store to the last
        // fold (with `--preload`, from queuing the first job, once every message is stored).
        let mut start = Instant::now();
        for (i, c) in ids.iter().enumerate() {
            let m = Message {
                id: MessageId::parse(format!("wamid.b{round}.{i}"))?,
                direction: if round % 3 == 1 { Direction::Out } else { Direction::In },
                timestamp: jiff::Timestamp::from_second(base + i as i64 % 60)?,
                text: Some(TEXTS[(i + round) % TEXTS.len()].into()),
                kind: Some("text".into()),
                status: None,
                detail: None,
            };
            let analysis = (!preload).then(|| job(c));
            store
                .append_and_queue(&co, c, &m, &ContactUpdate::default(), analysis.as_deref())
                .await?;
        }
        let stored_in = start.elapsed().as_secs_f64();
        if preload {
            // Now the jobs, all at once (pipelined on the connection), for the worker to drain.
            start = Instant::now();
            let payloads: Vec<String> = ids.iter().map(job).collect();
            let queued = ids
                .iter()
                .zip(&payloads)
                .map(|(c, p)| store.enqueue(Queue::Analysis, &co, c, p));
            for r in futures::future::join_all(queued).await {
                r?;
            }
        }
        while jobs_done() - before < contacts as f64 {
            tokio::time::sleep(Duration::from_millis(2)).await;
            anyhow::ensure!(start.elapsed() < Duration::from_secs(600), "round {round}: too slow");
        }
        let secs = start.elapsed().as_secs_f64();
        // Every job folded exactly its one new message.
        for c in ids.iter().step_by(97) {
            let s = store.snapshot(&co, c, SnapshotRequest::document_only()).await?;
            anyhow::ensure!(
                s.folded == round as u64 + 1,
                "a contact folded {} of {}",
                s.folded,
                round + 1
            );
        }
        let rate = contacts as f64 / secs;
        rates.push(rate);
        println!(
            "round {round}: {contacts} jobs (one new message each) in {secs:.2} s = {rate:.0} jobs/s (messages stored in {stored_in:.2} s)"
        );
    }
    anyhow::ensure!(store.pending_jobs(Queue::Analysis).await? == 0, "jobs left pending");
    shutdown.cancel();
    let _ = worker.await;
    rates.sort_by(f64::total_cmp);
    println!("median {:.0} jobs/s", rates[rates.len() / 2]);
    Ok(())
}
