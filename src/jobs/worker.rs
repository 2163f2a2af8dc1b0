//! The worker: one consumer loop per queue (consumer groups `analysis` and `drafts`).
//!
//! Several instances share the work (each has its own consumer name, so `XPENDING` shows who holds
//! what). A loop takes from its queue only as many jobs as it has free slots. A job whose consumer
//! died is reclaimed after `worker.claim_idle_secs`. A failing job is retried later (exponential
//! backoff with jitter, `worker.retry_base_ms` doubling up to `worker.retry_max_secs`) and goes
//! to the dead-letter stream after `worker.max_attempts`; an entry that is not a job is
//! dead-lettered at once. On shutdown the loops stop reading and finish the jobs in hand;
//! anything not acknowledged stays pending and is reclaimed by another instance.

use super::job::{Job, JobKind};
use crate::analysis::pipeline;
use crate::state::AppState;
use crate::store::{DeadKind, Entry, Queue};
use metrics::counter;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// This instance's consumer name: host name plus a random suffix.
pub fn consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "dossier".into());
    format!("{host}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt later (the store, an outside API).
    #[error("{0:#}")]
    Retry(anyhow::Error),
    /// Can never succeed (an unknown company): dead-lettered at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::Retry(e)
    }
}

impl From<crate::store::StoreError> for JobError {
    fn from(e: crate::store::StoreError) -> Self {
        JobError::Retry(e.into())
    }
}

/// Runs every queue's consumer loop until `shutdown` is cancelled, then waits for the jobs in hand.
pub async fn run(app: AppState, shutdown: CancellationToken) {
    let cfg = &app.settings.service.worker;
    let consumer = consumer_name();
    tracing::info!(
        consumer,
        analysis = cfg.concurrency,
        drafts = cfg.draft_concurrency,
        "worker started"
    );
    tokio::join!(
        consume(
            app.clone(),
            Queue::Analysis,
            cfg.concurrency,
            consumer.clone(),
            shutdown.clone()
        ),
        consume(
            app.clone(),
            Queue::Drafts,
            cfg.draft_concurrency,
            consumer.clone(),
            shutdown.clone()
        ),
    );
    tracing::info!(consumer, "worker stopped");
}

/// One queue's loop: take what free slots allow, run each job in its own task.
async fn consume(app: AppState, queue: Queue, concurrency: usize, consumer: String, shutdown: CancellationToken) {
    let cfg = app.settings.service.worker.clone();
    let permits = Arc::new(Semaphore::new(concurrency));
    let tracker = TaskTracker::new();
    let claim_idle = Duration::from_secs(cfg.claim_idle_secs);
    let mut last_reclaim = Instant::now();
    let mut last_promote = Instant::now() - Duration::from_secs(1);
    let mut last_gauge = Instant::now() - Duration::from_secs(10);
    let mut failures = 0u32;
    while !shutdown.is_cancelled() {
        // Hold the slots before taking jobs, so nothing sits claimed but idle.
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let mut slots = vec![first];
        while let Ok(p) = permits.clone().try_acquire_owned() {
            slots.push(p);
        }
        if last_gauge.elapsed() >= Duration::from_secs(5) {
            last_gauge = Instant::now();
            if let Ok(n) = app.store.backlog(queue).await {
                metrics::gauge!("dossier_queue_backlog", "queue" => queue.as_str()).set(n as f64);
            }
        }
        if last_promote.elapsed() >= Duration::from_millis(250) {
            last_promote = Instant::now();
            match app.store.promote_due(queue).await {
                Ok(n) if n > 0 => tracing::debug!(queue = queue.as_str(), n, "retries queued again"),
                Ok(_) => {}
                Err(e) => tracing::warn!(queue = queue.as_str(), error = %e, "moving due retries failed"),
            }
        }
        let mut batch = Vec::new();
        if last_reclaim.elapsed() >= claim_idle / 2 {
            last_reclaim = Instant::now();
            match app
                .store
                .reclaim(queue, &consumer, claim_idle.as_millis() as u64, slots.len())
                .await
            {
                Ok(taken) => {
                    if !taken.is_empty() {
                        tracing::info!(
                            queue = queue.as_str(),
                            count = taken.len(),
                            "reclaimed jobs of a stopped consumer"
                        );
                        counter!("dossier_jobs_reclaimed_total", "queue" => queue.as_str())
                            .increment(taken.len() as u64);
                    }
                    batch.extend(taken);
                }
                Err(e) => tracing::warn!(queue = queue.as_str(), error = %e, "reclaim failed"),
            }
        }
        if batch.is_empty() {
            let read = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = app.store.read_jobs(queue, &consumer, slots.len(), cfg.block_ms) => r,
            };
            match read {
                Ok(b) => {
                    failures = 0;
                    app.health.set_queue_ok(true);
                    batch = b;
                }
                Err(e) => {
                    failures += 1;
                    app.health.set_queue_ok(false);
                    tracing::warn!(queue = queue.as_str(), error = %e, "reading jobs failed; retrying");
                    let wait = Duration::from_millis(200 * u64::from(failures.min(10)));
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    continue;
                }
            }
        }
        for entry in batch {
            let Some(permit) = slots.pop() else {
                // More than asked for (cannot happen with a well-behaved store): run it anyway
                // rather than leave it claimed.
                let app = app.clone();
                tracker.spawn(async move { handle(&app, entry).await });
                continue;
            };
            let app = app.clone();
            tracker.spawn(async move {
                handle(&app, entry).await;
                drop(permit);
            });
        }
    }
    tracker.close();
    tracker.wait().await;
}

/// The delay before attempt `attempt + 1`: `base · 2^(attempt-1)`, capped, ±20 % jitter so jobs
/// that failed together do not come back together.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let step = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    step.min(cap).mul_f64(rand::random_range(0.8..1.2))
}

/// Processes one entry and acknowledges it; a failure is retried later or dead-lettered.
pub async fn handle(app: &AppState, entry: Entry) {
    let job = match Job::from_payload(entry.payload.as_deref()) {
        Ok(job) => job,
        Err(why) => {
            tracing::warn!(
                queue = entry.queue.as_str(),
                id = entry.id,
                "a stream entry is not a job; dead-lettered"
            );
            counter!("dossier_jobs_total", "queue" => entry.queue.as_str(), "outcome" => "not_a_job").increment(1);
            let payload = entry.payload.clone().unwrap_or_default();
            if app.store.dead_letter(DeadKind::Jobs, &why, &payload).await.is_ok() {
                let _ = app.store.ack(&entry).await;
            }
            return;
        }
    };
    let queue = entry.queue.as_str();
    let started = Instant::now();
    let result = process(app, &job, &entry).await;
    metrics::histogram!("dossier_job_seconds", "queue" => queue).record(started.elapsed().as_secs_f64());
    let cfg = &app.settings.service.worker;
    // A reclaimed entry counts its deliveries too: a job that crashed its worker is not retried forever.
    let attempt = job.attempt.max(entry.deliveries.saturating_sub(1) as u32) + 1;
    let mut acked = false;
    let failed = match result {
        Ok(done) => {
            acked = done;
            counter!("dossier_jobs_total", "queue" => queue, "outcome" => "done").increment(1);
            None
        }
        Err(JobError::Permanent(why)) => Some((why, true)),
        Err(JobError::Retry(e)) => Some((format!("{e:#}"), attempt >= cfg.max_attempts)),
    };
    if let Some((why, last)) = failed {
        if last {
            tracing::error!(queue, attempt, error = %why, "job failed for the last time; dead-lettered");
            counter!("dossier_jobs_total", "queue" => queue, "outcome" => "dead").increment(1);
            if let Err(e) = app.store.dead_letter(DeadKind::Jobs, &why, &job.to_payload()).await {
                tracing::error!(error = %e, "cannot dead-letter; leaving the job pending");
                return;
            }
        } else {
            let delay = backoff(
                attempt,
                Duration::from_millis(cfg.retry_base_ms),
                Duration::from_secs(cfg.retry_max_secs),
            );
            tracing::warn!(queue, attempt, retry_in_ms = delay.as_millis() as u64, error = %why, "job failed; retrying later");
            counter!("dossier_jobs_total", "queue" => queue, "outcome" => "retry").increment(1);
            let again = Job { attempt, ..job };
            if let Err(e) = app.store.retry_later(&entry, &again.to_payload(), delay).await {
                tracing::warn!(error = %e, "cannot schedule the retry; the job stays pending and is reclaimed later");
            }
            return;
        }
    }
    if acked {
        return;
    }
    if let Err(e) = app.store.ack(&entry).await {
        tracing::warn!(error = %e, "ack failed; the job may run again (it finds nothing new)");
    }
}

/// Runs a job; `Ok(true)` when its entry was already acknowledged (with the profile write).
async fn process(app: &AppState, job: &Job, entry: &Entry) -> Result<bool, JobError> {
    let rt = app
        .companies
        .get(job.company.as_str())
        .ok_or_else(|| JobError::Retry(anyhow::anyhow!("unknown company `{}`", job.company)))?;
    match job.kind {
        JobKind::Analyze => {
            // The entry is acknowledged with the write only when nothing follows that could
            // fail: the Chatwoot write-back never fails the job, and a due draft is not acked there.
            let (_, out, acked) = pipeline::fold_job(app, &rt, &job.company, &job.contact, Some(entry)).await?;
            crate::channels::chatwoot::client::after_analysis(app, &job.company, &job.contact, &out.profile).await;
            if let Some(pos) = out.draft_due {
                Job::draft(&job.company, &job.contact, pos)
                    .enqueue(app.store.as_ref())
                    .await?;
            }
            Ok(acked)
        }
        JobKind::Draft { pos } => {
            let settings = pipeline::effective_settings(app, &job.company).await?;
            crate::copilot::drafts::on_draft_due(app, &rt, &settings, &job.company, &job.contact, pos).await?;
            Ok(false)
        }
    }
}
