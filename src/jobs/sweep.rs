//! The sweep: finds contacts whose stored messages are ahead of their profile's folded position
//! with no analysis queued, and queues one. That happens when a Cluster stored a message but the
//! job (another slot, another command) was lost in a crash, or when a job was dead-lettered.

use super::job::Job;
use crate::state::App;
use dossier_core::CompanyId;
use jiff::{SignedDuration, Timestamp};

/// How long a contact may be behind before the sweep steps in (the normal path has queued it).
pub const GRACE_SECS: i64 = 30;
/// How far back the first sweep after a start looks.
pub const FIRST_LOOKBACK_SECS: i64 = 24 * 3600;

/// Sweeps every company for contacts last active in `[from, to]`; returns how many were queued.
pub async fn sweep(app: &App, from: Timestamp, to: Timestamp) -> anyhow::Result<usize> {
    let mut queued = 0;
    for id in app.settings.companies.keys() {
        let company = CompanyId::parse(id.clone())?;
        for contact in app.store.behind(&company, from, to).await? {
            Job::analyze(&company, &contact).enqueue(app.store.as_ref()).await?;
            queued += 1;
        }
    }
    if queued > 0 {
        tracing::info!(
            queued,
            "sweep: queued the analysis of contacts whose profile was behind"
        );
        metrics::counter!("dossier_sweep_requeued_total").increment(queued as u64);
    }
    Ok(queued)
}

/// The window the next sweep covers: from a little before the last one (or a day back at start)
/// to the grace period ago.
pub fn window(last: Option<Timestamp>, now: Timestamp, every_secs: i64) -> (Timestamp, Timestamp) {
    let to = now - SignedDuration::from_secs(GRACE_SECS);
    let from = match last {
        Some(l) => l - SignedDuration::from_secs(GRACE_SECS + every_secs),
        None => now - SignedDuration::from_secs(FIRST_LOOKBACK_SECS),
    };
    (from, to)
}
