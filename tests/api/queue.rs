//! The job queues on Redis Streams consumer groups.

use crate::helpers::*;
use dossier::jobs::job::Job;
use dossier::store::Queue;
use dossier_core::{CompanyId, ContactId};

fn job(i: u32) -> Job {
    let co: CompanyId = "acme".parse().unwrap();
    let ct: ContactId = format!("52155500{i:05}").parse().unwrap();
    Job::analyze(&co, &ct)
}

fn parsed(e: &dossier::store::Entry) -> Job {
    Job::from_payload(e.payload.as_deref()).unwrap()
}

#[tokio::test]
async fn a_consumer_reads_and_acks_jobs_and_a_crashed_ones_jobs_are_reclaimed() {
    let app = spawn_app().await;
    let store = &app.store;
    for i in 0..20 {
        job(i).enqueue(store.as_ref()).await.unwrap();
    }
    let mut seen = Vec::new();
    loop {
        let batch = store.read_jobs(Queue::Analysis, "worker-a", 7, 0).await.unwrap();
        assert!(batch.len() <= 7, "never more than asked for, over all shards");
        if batch.is_empty() {
            break;
        }
        seen.extend(batch);
    }
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|d| d.deliveries == 1));
    assert_eq!(store.pending_jobs(Queue::Analysis).await.unwrap(), 20);
    // worker-a acks half and "crashes" holding the rest.
    for d in &seen[..10] {
        store.ack(d).await.unwrap();
    }
    assert_eq!(store.pending_jobs(Queue::Analysis).await.unwrap(), 10);
    // Not idle long enough yet: nothing to reclaim.
    assert!(
        store
            .reclaim(Queue::Analysis, "worker-b", 60_000, 100)
            .await
            .unwrap()
            .is_empty()
    );
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    // A consumer never reclaims its own jobs in hand (a slow job is not a dead consumer's).
    assert!(
        store
            .reclaim(Queue::Analysis, "worker-a", 20, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let taken = store.reclaim(Queue::Analysis, "worker-b", 20, 100).await.unwrap();
    assert_eq!(taken.len(), 10);
    assert!(taken.iter().all(|d| d.deliveries == 2), "{taken:?}");
    let mut ids: Vec<String> = taken.iter().map(|d| parsed(d).contact.to_string()).collect();
    ids.sort();
    let mut want: Vec<String> = seen[10..].iter().map(|d| parsed(d).contact.to_string()).collect();
    want.sort();
    assert_eq!(ids, want);
    for d in &taken {
        store.ack(d).await.unwrap();
    }
    assert_eq!(store.pending_jobs(Queue::Analysis).await.unwrap(), 0);
    // The drafts queue is apart.
    assert!(
        store
            .read_jobs(Queue::Drafts, "worker-a", 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_blocking_read_wakes_up_for_a_new_job() {
    let app = spawn_app().await;
    let store = app.store.clone();
    let reader = tokio::spawn(async move {
        let start = std::time::Instant::now();
        loop {
            let got = store.read_jobs(Queue::Analysis, "w", 10, 200).await.unwrap();
            if !got.is_empty() || start.elapsed().as_secs() > 5 {
                return got;
            }
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    job(1).enqueue(app.store.as_ref()).await.unwrap();
    let got = reader.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(parsed(&got[0]), job(1));
}

/// On a single node one blocking read covers every job stream: a job on any of them wakes an
/// idle worker at once, not after the block time (a live panel waits for this).
#[tokio::test]
async fn a_blocking_read_wakes_for_a_job_on_any_stream() {
    let app = spawn_app().await;
    for i in 0..8u32 {
        let store = app.store.clone();
        let reader = tokio::spawn(async move {
            let start = std::time::Instant::now();
            let got = store.read_jobs(Queue::Analysis, "w", 10, 3_000).await.unwrap();
            (got, start.elapsed())
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        job(100 + i).enqueue(app.store.as_ref()).await.unwrap();
        let (got, waited) = reader.await.unwrap();
        assert_eq!(got.len(), 1, "job {i}");
        assert!(
            waited < std::time::Duration::from_millis(1_500),
            "job {i} waited {waited:?}"
        );
        app.store.ack(&got[0]).await.unwrap();
    }
}

/// A blocking read never hands out more jobs than asked for, whichever streams they are on.
#[tokio::test]
async fn a_blocking_read_takes_no_more_than_asked() {
    let app = spawn_app().await;
    for count in [1usize, 2, 3, 6] {
        let store = app.store.clone();
        let reader = tokio::spawn(async move { store.read_jobs(Queue::Analysis, "w", count, 2_000).await.unwrap() });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        // Many jobs at once (one transaction), over every stream.
        let mut c = redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let mut tx = redis::pipe();
        tx.atomic();
        for i in 0..24u32 {
            tx.cmd("XADD")
                .arg(format!("{}{{jobs:{}}}", app.prefix, i % 4))
                .arg("*")
                .arg("job")
                .arg(job(1_000 * count as u32 + i).to_payload())
                .ignore();
        }
        let () = tx.query_async(&mut c).await.unwrap();
        let got = reader.await.unwrap();
        assert!(
            !got.is_empty() && got.len() <= count,
            "asked {count}, got {}",
            got.len()
        );
        // Drain the rest for the next round.
        loop {
            let more = app.store.read_jobs(Queue::Analysis, "w", 50, 0).await.unwrap();
            if more.is_empty() {
                break;
            }
            for e in &more {
                app.store.ack(e).await.unwrap();
            }
        }
        for e in &got {
            app.store.ack(e).await.unwrap();
        }
    }
}
