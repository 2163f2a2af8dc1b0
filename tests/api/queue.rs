//! The analysis job queue on Redis Streams consumer groups.

use crate::helpers::*;
use dossier::store::Job;

fn job(i: u32) -> Job {
    Job {
        company: "acme".into(),
        contact: format!("52155500{i:05}"),
        message_id: format!("wamid.q{i}"),
        attempt: 0,
        inbound: true,
    }
}

#[tokio::test]
async fn a_consumer_reads_and_acks_jobs_and_a_crashed_ones_jobs_are_reclaimed() {
    let app = spawn_app().await;
    let store = &app.store;
    for i in 0..20 {
        store.enqueue(&job(i)).await.unwrap();
    }
    let mut seen = Vec::new();
    loop {
        let batch = store.read_jobs("worker-a", 7, 0).await.unwrap();
        if batch.is_empty() {
            break;
        }
        seen.extend(batch);
    }
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|d| d.deliveries == 1));
    assert_eq!(store.pending_jobs().await.unwrap(), 20);
    // worker-a acks half and "crashes" holding the rest.
    for d in &seen[..10] {
        store.ack(d).await.unwrap();
    }
    assert_eq!(store.pending_jobs().await.unwrap(), 10);
    // Not idle long enough yet: nothing to reclaim.
    assert!(store.reclaim("worker-b", 60_000, 100).await.unwrap().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let taken = store.reclaim("worker-b", 20, 100).await.unwrap();
    assert_eq!(taken.len(), 10);
    assert!(taken.iter().all(|d| d.deliveries == 2), "{taken:?}");
    let mut ids: Vec<String> = taken.iter().map(|d| d.job.message_id.clone()).collect();
    ids.sort();
    let mut want: Vec<String> = seen[10..].iter().map(|d| d.job.message_id.clone()).collect();
    want.sort();
    assert_eq!(ids, want);
    for d in &taken {
        store.ack(d).await.unwrap();
    }
    assert_eq!(store.pending_jobs().await.unwrap(), 0);
}

#[tokio::test]
async fn a_blocking_read_wakes_up_for_a_new_job() {
    let app = spawn_app().await;
    let store = app.store.clone();
    let reader = tokio::spawn(async move {
        let start = std::time::Instant::now();
        loop {
            let got = store.read_jobs("w", 10, 200).await.unwrap();
            if !got.is_empty() || start.elapsed().as_secs() > 5 {
                return got;
            }
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    app.store.enqueue(&job(1)).await.unwrap();
    let got = reader.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].job, job(1));
}
