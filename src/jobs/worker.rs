//! The analysis worker: a consumer of the job streams (consumer group `analysis`).
//!
//! Several instances share the work (each has its own consumer name, so `XPENDING` shows who holds
//! what). A job whose consumer died is reclaimed after `worker.claim_idle_secs`. A failing job is
//! re-queued with its attempt count and goes to the dead-letter stream after
//! `worker.max_attempts`. On shutdown the worker stops reading and finishes the jobs in hand;
//! anything not acknowledged stays pending and is reclaimed by another instance.

use crate::analysis::pipeline::analyze_contact;
use crate::state::AppState;
use crate::store::{DeadKind, Delivery, Job};
use dossier_core::{CompanyId, ContactId};
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

/// Runs until `shutdown` is cancelled, then waits for the jobs in hand.
pub async fn run(app: AppState, shutdown: CancellationToken) {
    let cfg = app.settings.service.worker.clone();
    let consumer = consumer_name();
    let permits = Arc::new(Semaphore::new(cfg.concurrency));
    let tracker = TaskTracker::new();
    let mut last_reclaim = Instant::now();
    let claim_idle = Duration::from_secs(cfg.claim_idle_secs);
    tracing::info!(consumer, concurrency = cfg.concurrency, "analysis worker started");
    while !shutdown.is_cancelled() {
        // Wait for a free slot before taking jobs, so nothing sits claimed but idle.
        let available = permits.available_permits();
        if available == 0 {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_millis(5)) => continue,
            }
        }
        let mut batch = Vec::new();
        if last_reclaim.elapsed() >= claim_idle / 2 {
            last_reclaim = Instant::now();
            match app
                .store
                .reclaim(&consumer, claim_idle.as_millis() as u64, available)
                .await
            {
                Ok(taken) => {
                    if !taken.is_empty() {
                        tracing::info!(count = taken.len(), "reclaimed jobs of a stopped consumer");
                        counter!("dossier_jobs_reclaimed_total").increment(taken.len() as u64);
                    }
                    batch.extend(taken);
                }
                Err(e) => tracing::warn!(error = %e, "reclaim failed"),
            }
        }
        if batch.is_empty() {
            let read = tokio::select! {
                _ = shutdown.cancelled() => break,
                r = app.store.read_jobs(&consumer, available, cfg.block_ms) => r,
            };
            match read {
                Ok(b) => batch = b,
                Err(e) => {
                    tracing::warn!(error = %e, "reading jobs failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        for delivery in batch {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let app = app.clone();
            tracker.spawn(async move {
                handle(&app, delivery).await;
                drop(permit);
            });
        }
    }
    tracker.close();
    tracker.wait().await;
    tracing::info!(consumer, "analysis worker stopped");
}

/// Processes one job and acknowledges it, re-queueing or dead-lettering a failure.
pub async fn handle(app: &AppState, d: Delivery) {
    let started = Instant::now();
    let result = process(app, &d.job).await;
    metrics::histogram!("dossier_job_seconds").record(started.elapsed().as_secs_f64());
    let max = app.settings.service.worker.max_attempts;
    match result {
        Ok(()) => counter!("dossier_jobs_total", "outcome" => "done").increment(1),
        Err(e) => {
            let attempt = d.job.attempt.max(d.deliveries.saturating_sub(1) as u32) + 1;
            if attempt >= max {
                tracing::error!(error = %format!("{e:#}"), attempt, "job failed for the last time; dead-lettered");
                counter!("dossier_jobs_total", "outcome" => "dead").increment(1);
                let payload = serde_json::to_string(&d.job).unwrap_or_default();
                if let Err(e2) = app.store.dead_letter(DeadKind::Jobs, &format!("{e:#}"), &payload).await {
                    tracing::error!(error = %e2, "cannot dead-letter; leaving the job pending");
                    return;
                }
            } else {
                tracing::warn!(error = %format!("{e:#}"), attempt, "job failed; re-queued");
                counter!("dossier_jobs_total", "outcome" => "retry").increment(1);
                let again = Job {
                    attempt,
                    ..d.job.clone()
                };
                if app.store.enqueue(&again).await.is_err() {
                    return; // stays pending; reclaimed later
                }
            }
        }
    }
    if let Err(e) = app.store.ack(&d).await {
        tracing::warn!(error = %e, "ack failed; the job may run again (analysis is idempotent)");
    }
}

async fn process(app: &AppState, job: &Job) -> anyhow::Result<()> {
    let company = CompanyId::parse(job.company.clone())?;
    let contact = ContactId::parse(job.contact.clone())?;
    let rt = app
        .companies
        .get(company.as_str())
        .ok_or_else(|| anyhow::anyhow!("unknown company `{company}`"))?;
    let outcome = analyze_contact(app, &rt, &company, &contact, true).await?;
    if outcome.new_messages > 0 && job.inbound {
        // A team-chat failure must not re-run the analysis: log it, the job is done.
        if let Err(e) = crate::copilot::drafts::on_analyzed(app, &company, &contact, &outcome.profile).await {
            tracing::warn!(error = %format!("{e:#}"), "auto-draft failed");
            counter!("dossier_draft_failures_total").increment(1);
        }
    }
    Ok(())
}
