//! Live panels: a change notice per profile or draft write, delivered to every open panel of that
//! contact on every instance within milliseconds.
//!
//! Each process keeps one `tokio::sync::broadcast` channel that its SSE streams listen to. A write
//! sends its notice there at once, and publishes it through the store ([`Store::publish`], Redis
//! pub/sub on `P{live}`); one relay task per process subscribes and re-broadcasts what the other
//! instances published (its own are skipped by instance id). So a panel served by instance A
//! updates when instance B's worker rewrites the profile, and 200 panels cost one Redis
//! subscription per process, not 200. The embedded store has no pub/sub: one process, local only.
//! A notice carries ids only; the panel fetches the view again, so a missed notice costs nothing
//! but freshness, and the next one repairs it.

use crate::store::Store;
use dossier_core::{CompanyId, ContactId};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// Notices a slow SSE stream may fall behind by before it skips ahead (it then refetches once).
const CAPACITY: usize = 4096;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The instance that published it.
    pub i: String,
    pub co: String,
    pub ct: String,
    /// `profile` or `draft`.
    pub what: String,
}

/// The process's hub.
pub struct Live {
    instance: String,
    tx: broadcast::Sender<Notice>,
    /// Cancelled at shutdown, so open SSE streams end and the server can drain.
    closing: CancellationToken,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    pub fn new() -> Live {
        Live {
            instance: uuid::Uuid::new_v4().simple().to_string(),
            tx: broadcast::channel(CAPACITY).0,
            closing: CancellationToken::new(),
        }
    }

    /// Notices of every contact, from now on (the SSE handler filters its own).
    pub fn listen(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }

    /// Cancelled when the process shuts down.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Tells this process's panels now and the other instances through the store. Never fails
    /// the write it follows: a lost notice only delays a panel until the next one.
    pub async fn notify(&self, store: &dyn Store, company: &CompanyId, contact: &ContactId, what: &str) {
        let n = self.notice(company, contact, what);
        let payload = serde_json::to_string(&n);
        self.tell_local(n);
        let Ok(payload) = payload else { return };
        if let Err(e) = store.publish(&payload).await {
            tracing::debug!(error = %e, "could not publish a live notice");
        }
    }

    /// A notice from this instance, for a write to send with it ([`Live::tell_local`] here, the
    /// store's publish to the other instances).
    pub fn notice(&self, company: &CompanyId, contact: &ContactId, what: &str) -> Notice {
        Notice {
            i: self.instance.clone(),
            co: company.to_string(),
            ct: contact.to_string(),
            what: what.to_owned(),
        }
    }

    /// Tells this process's panels.
    pub fn tell_local(&self, n: Notice) {
        metrics::counter!("dossier_panel_notices_total", "what" => n.what.clone()).increment(1);
        let _ = self.tx.send(n);
    }

    /// Relays other instances' notices to this process's panels until `shutdown`, subscribing
    /// again after a dropped connection. Returns at once for a store without pub/sub.
    pub async fn relay(&self, store: &dyn Store, shutdown: CancellationToken) {
        let closing = self.closing.clone();
        let _close = CancelOnDrop(closing);
        loop {
            let stream = tokio::select! {
                _ = shutdown.cancelled() => return,
                s = store.subscribe() => s,
            };
            match stream {
                Ok(None) => {
                    shutdown.cancelled().await;
                    return;
                }
                Ok(Some(mut s)) => loop {
                    let next = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        m = s.next() => m,
                    };
                    let Some(payload) = next else { break };
                    if let Ok(n) = serde_json::from_str::<Notice>(&payload)
                        && n.i != self.instance
                    {
                        let _ = self.tx.send(n);
                    }
                },
                Err(e) => tracing::warn!(error = %e, "live panels: cannot subscribe; trying again"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}

struct CancelOnDrop(CancellationToken);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}
