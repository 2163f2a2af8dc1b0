//! One conformance suite, run against both stores: what the service relies on must hold for
//! Redis and for the embedded memory store alike.

use crate::helpers::*;
use dossier::config::Settings;
use dossier::jobs::job::Job;
use dossier::store::{Appended, ContactUpdate, DeadKind, Queue, ReadFrom, SnapshotRequest, StatusUpdate, Store};
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId};
use jiff::Timestamp;
use std::sync::Arc;

async fn store(backend: Backend) -> Arc<dyn Store> {
    let dir = test_config_dir("");
    let settings = Settings::load(&dir).unwrap();
    open_backend(backend, &settings, &unique_prefix()).await
}

fn m(id: &str, secs: i64, dir: Direction) -> Message {
    Message {
        id: MessageId::parse(id).unwrap(),
        direction: dir,
        timestamp: Timestamp::from_second(secs).unwrap(),
        text: Some(format!("text of {id}")),
        kind: Some("text".into()),
        status: None,
        detail: None,
    }
}

async fn conformance(s: Arc<dyn Store>) {
    let co: CompanyId = "acme".parse().unwrap();
    let ct: ContactId = "5215550006666".parse().unwrap();
    let other: ContactId = "5215550007777".parse().unwrap();
    s.ping().await.unwrap();
    let upd = ContactUpdate {
        profile_name: Some("Mariana".into()),
        wa_id: Some(ct.to_string()),
        user_id: None,
    };

    // Append, dedupe, ordering with ties in arrival order.
    assert_eq!(
        s.append_message(&co, &ct, &m("b", 200, Direction::In), &upd)
            .await
            .unwrap(),
        Appended::New
    );
    assert_eq!(
        s.append_message(&co, &ct, &m("a", 100, Direction::Out), &upd)
            .await
            .unwrap(),
        Appended::New
    );
    assert_eq!(
        s.append_message(&co, &ct, &m("c", 200, Direction::In), &upd)
            .await
            .unwrap(),
        Appended::New
    );
    assert_eq!(
        s.append_message(&co, &ct, &m("b", 200, Direction::In), &upd)
            .await
            .unwrap(),
        Appended::Duplicate
    );
    let ids = |v: Vec<Message>| v.into_iter().map(|m| m.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(s.messages(&co, &ct, 100, None).await.unwrap()), ["a", "b", "c"]);
    assert_eq!(ids(s.messages(&co, &ct, 2, None).await.unwrap()), ["b", "c"]);
    assert_eq!(
        ids(s
            .messages(&co, &ct, 10, Some(Timestamp::from_second(200).unwrap()))
            .await
            .unwrap()),
        ["a"]
    );
    assert!(s.messages(&co, &other, 10, None).await.unwrap().is_empty());
    let want: Vec<MessageId> = ["c", "nope", "a"].iter().map(|i| i.parse().unwrap()).collect();
    assert_eq!(ids(s.messages_by_id(&co, &ct, &want).await.unwrap()), ["c", "a"]);
    assert!(s.messages_by_id(&co, &other, &want).await.unwrap().is_empty());

    // Contact record.
    let r = s.contact(&co, &ct).await.unwrap().unwrap();
    assert_eq!(r.profile_name.as_deref(), Some("Mariana"));
    assert_eq!((r.messages_in, r.messages_out), (2, 1));
    assert_eq!(r.first_seen, Some(Timestamp::from_second(100).unwrap()));
    assert_eq!(r.last_inbound, Some(Timestamp::from_second(200).unwrap()));
    assert!(s.contact(&co, &other).await.unwrap().is_none());
    s.append_message(&co, &other, &m("z", 300, Direction::In), &ContactUpdate::default())
        .await
        .unwrap();
    let list = s.contacts(&co, 10).await.unwrap();
    assert_eq!(
        list.iter().map(|c| c.contact.as_str()).collect::<Vec<_>>(),
        [other.as_str(), ct.as_str()]
    );

    // Status ranks never go back; failed is final.
    let a: MessageId = "a".parse().unwrap();
    let st = |s: &str| StatusUpdate {
        status: s.into(),
        timestamp: Timestamp::from_second(150).unwrap(),
        errors: None,
    };
    s.record_status(&co, &ct, &a, &st("read")).await.unwrap();
    s.record_status(&co, &ct, &a, &st("delivered")).await.unwrap();
    assert_eq!(
        s.messages(&co, &ct, 1, Some(Timestamp::from_second(101).unwrap()))
            .await
            .unwrap()[0]
            .status
            .as_deref(),
        Some("read")
    );

    // Documents: compare-and-set.
    assert!(s.doc(&co, &ct, "profile").await.unwrap().is_none());
    assert!(s.put_doc(&co, &ct, "profile", 0, b"v1").await.unwrap());
    assert!(!s.put_doc(&co, &ct, "profile", 0, b"lost").await.unwrap());
    let d = s.doc(&co, &ct, "profile").await.unwrap().unwrap();
    assert_eq!((d.version, d.body.as_slice()), (1, &b"v1"[..]));
    assert!(s.put_doc(&co, &ct, "profile", 1, b"v2").await.unwrap());

    // Settings and kv.
    assert!(s.settings(&co).await.unwrap().is_none());
    s.put_settings(&co, b"{\"x\":1}").await.unwrap();
    assert_eq!(s.settings(&co).await.unwrap().unwrap(), b"{\"x\":1}");
    s.put_kv(&co, "k", b"v", 60).await.unwrap();
    assert_eq!(s.kv(&co, "k").await.unwrap().unwrap(), b"v");
    assert!(s.kv(&co, "missing").await.unwrap().is_none());
    // A claim is won once; counters add up and come back whole.
    assert!(s.claim_kv(&co, "vote:1", 60).await.unwrap());
    assert!(!s.claim_kv(&co, "vote:1", 60).await.unwrap());
    assert!(s.claim_kv(&co, "vote:2", 60).await.unwrap());
    s.incr_counters(&co, "drafts", &[("a".into(), 2), ("b".into(), 1)])
        .await
        .unwrap();
    s.incr_counters(&co, "drafts", &[("a".into(), 3)]).await.unwrap();
    s.incr_counters(&co, "drafts", &[]).await.unwrap();
    let mut c = s.counters(&co, "drafts").await.unwrap();
    c.sort();
    assert_eq!(c, [("a".to_owned(), 5), ("b".to_owned(), 1)]);
    assert!(s.counters(&co, "other").await.unwrap().is_empty());

    // Erase: everything about the contact goes; the dedupe mark stays.
    s.erase_contact(&co, &ct).await.unwrap();
    assert!(s.messages(&co, &ct, 10, None).await.unwrap().is_empty());
    assert!(s.contact(&co, &ct).await.unwrap().is_none());
    assert!(s.doc(&co, &ct, "profile").await.unwrap().is_none());
    assert_eq!(
        s.append_message(&co, &ct, &m("b", 200, Direction::In), &upd)
            .await
            .unwrap(),
        Appended::Duplicate
    );
    assert_eq!(s.contacts(&co, 10).await.unwrap().len(), 1);

    // Queue.
    let job = Job::analyze(&co, &ct).to_payload();
    s.enqueue(Queue::Analysis, &co, &ct, &job).await.unwrap();
    let got = s.read_jobs(Queue::Analysis, "c1", 10, 0).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload.as_deref(), Some(job.as_str()));
    assert_eq!(s.backlog(Queue::Analysis).await.unwrap(), 1, "a claimed job is backlog");
    assert!(
        s.read_jobs(Queue::Analysis, "c2", 10, 0).await.unwrap().is_empty(),
        "a delivered job is not handed out twice"
    );
    s.ack(&got[0]).await.unwrap();
    assert_eq!(s.pending_jobs(Queue::Analysis).await.unwrap(), 0);
    assert_eq!(
        s.backlog(Queue::Analysis).await.unwrap(),
        0,
        "an acknowledged job is not"
    );

    // A failed job waits for its retry, then comes back once due.
    s.enqueue(Queue::Drafts, &co, &ct, "d1").await.unwrap();
    let got = s.read_jobs(Queue::Drafts, "c1", 10, 0).await.unwrap();
    assert_eq!(got.len(), 1);
    s.retry_later(&got[0], "d1-again", std::time::Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(
        s.pending_jobs(Queue::Drafts).await.unwrap(),
        0,
        "the failed entry is acknowledged"
    );
    assert_eq!(s.promote_due(Queue::Drafts).await.unwrap(), 0, "not due yet");
    assert_eq!(
        s.backlog(Queue::Drafts).await.unwrap(),
        1,
        "a job waiting to retry is backlog"
    );
    assert!(s.read_jobs(Queue::Drafts, "c1", 10, 0).await.unwrap().is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(s.promote_due(Queue::Drafts).await.unwrap(), 1);
    let again = s.read_jobs(Queue::Drafts, "c1", 10, 0).await.unwrap();
    assert_eq!(
        again.iter().map(|e| e.payload.clone().unwrap()).collect::<Vec<_>>(),
        ["d1-again"]
    );
    s.ack(&again[0]).await.unwrap();

    // Append and queue together: one analysis job however many messages arrive before it is
    // taken; the index follows.
    let fresh: ContactId = "5215550005555".parse().unwrap();
    let job2 = Job::analyze(&co, &fresh).to_payload();
    let msg = m("n1", 400, Direction::In);
    assert_eq!(
        s.append_and_queue(&co, &fresh, &msg, &upd, Some(&job2)).await.unwrap(),
        Appended::New
    );
    assert_eq!(
        s.append_and_queue(&co, &fresh, &msg, &upd, Some(&job2)).await.unwrap(),
        Appended::Duplicate
    );
    s.append_and_queue(&co, &fresh, &m("n2", 401, Direction::Out), &upd, Some(&job2))
        .await
        .unwrap();
    let got = s.read_jobs(Queue::Analysis, "c3", 10, 0).await.unwrap();
    assert_eq!(
        got.iter().map(|d| d.payload.clone().unwrap()).collect::<Vec<_>>(),
        vec![job2.clone()]
    );
    s.ack(&got[0]).await.unwrap();
    assert_eq!(s.contacts(&co, 10).await.unwrap()[0].contact, fresh.as_str());
    assert_eq!(ids(s.messages(&co, &fresh, 10, None).await.unwrap()), ["n1", "n2"]);

    // A snapshot: record, document and the messages after the folded position, atomically; it
    // takes the queued mark, so the next message queues a new job.
    let snap = s
        .snapshot(
            &co,
            &fresh,
            SnapshotRequest {
                from: ReadFrom::Folded,
                recent: 1,
                take_queued: true,
            },
        )
        .await
        .unwrap();
    assert_eq!((snap.stored, snap.folded, snap.until), (2, 0, 2));
    assert_eq!(
        snap.messages
            .iter()
            .map(|p| (p.pos, p.message.id.to_string()))
            .collect::<Vec<_>>(),
        [(1, "n1".to_owned()), (2, "n2".to_owned())]
    );
    assert_eq!(ids(snap.recent.clone()), ["n2"]);
    assert_eq!(
        snap.record.as_ref().map(|r| (r.messages_in, r.messages_out)),
        Some((1, 1))
    );
    assert!(snap.profile.is_none());
    // Behind, and nothing queued any more: the sweep would find it.
    let (from, to) = (
        Timestamp::from_second(0).unwrap(),
        Timestamp::from_second(10_000).unwrap(),
    );
    assert!(s.behind(&co, from, to).await.unwrap().contains(&fresh));
    assert!(
        !s.behind(
            &co,
            Timestamp::from_second(0).unwrap(),
            Timestamp::from_second(300).unwrap()
        )
        .await
        .unwrap()
        .contains(&fresh),
        "last active outside the window"
    );
    assert!(s.put_profile(&co, &fresh, 0, b"{}", 2).await.unwrap());
    assert!(
        !s.put_profile(&co, &fresh, 0, b"lost", 2).await.unwrap(),
        "compare-and-set"
    );
    assert!(
        !s.behind(&co, from, to).await.unwrap().contains(&fresh),
        "folded up to the last message"
    );
    s.append_and_queue(&co, &fresh, &m("n3", 402, Direction::In), &upd, Some(&job2))
        .await
        .unwrap();
    assert!(
        !s.behind(&co, from, to).await.unwrap().contains(&fresh),
        "behind, but its job is queued"
    );
    let got = s.read_jobs(Queue::Analysis, "c3", 10, 0).await.unwrap();
    assert_eq!(got.len(), 1, "the mark was taken: a new job was queued");
    s.ack(&got[0]).await.unwrap();
    let snap = s
        .snapshot(
            &co,
            &fresh,
            SnapshotRequest {
                from: ReadFrom::Folded,
                recent: 0,
                take_queued: false,
            },
        )
        .await
        .unwrap();
    assert_eq!((snap.folded, snap.stored), (2, 3));
    assert_eq!(
        snap.messages.iter().map(|p| p.pos).collect::<Vec<_>>(),
        [3],
        "only what is new"
    );
    assert_eq!(snap.profile.map(|d| (d.version, d.body)), Some((1, b"{}".to_vec())));
    let all = s
        .snapshot(
            &co,
            &fresh,
            SnapshotRequest {
                from: ReadFrom::After(0),
                recent: 0,
                take_queued: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(all.messages.len(), 3);
    let none = s.snapshot(&co, &fresh, SnapshotRequest::document_only()).await.unwrap();
    assert!(none.messages.is_empty() && none.record.is_some());

    // Replacing a message's body keeps its place; an unknown id is not created.
    let w = ContactId::parse("5215550008888").unwrap();
    s.append_message(&co, &w, &m("wamid.r1", 500, Direction::Out), &upd)
        .await
        .unwrap();
    s.append_message(&co, &w, &m("wamid.r2", 600, Direction::In), &upd)
        .await
        .unwrap();
    let mut edited = m("wamid.r1", 500, Direction::Out);
    edited.text = Some("edited".into());
    assert!(s.replace_message(&co, &w, &edited).await.unwrap());
    assert!(
        !s.replace_message(&co, &w, &m("wamid.nope", 1, Direction::Out))
            .await
            .unwrap()
    );
    assert!(!s.replace_message(&co, &other, &edited).await.unwrap());
    let got = s.messages(&co, &w, 10, None).await.unwrap();
    assert_eq!(
        got.iter().map(|m| (m.id.as_str(), m.text())).collect::<Vec<_>>(),
        [("wamid.r1", "edited"), ("wamid.r2", "text of wamid.r2")]
    );
    // A history backfill counts as inbound but does not open the 24-hour window.
    let h = ContactId::parse("5215550009999").unwrap();
    let mut past = m("wamid.h1", 700, Direction::In);
    past.detail = Some(serde_json::json!({ "source": "history" }));
    s.append_message(&co, &h, &past, &upd).await.unwrap();
    let rec = s.contact(&co, &h).await.unwrap().unwrap();
    assert_eq!((rec.messages_in, rec.last_inbound), (1, None));
    s.append_message(&co, &h, &m("wamid.h2", 800, Direction::In), &upd)
        .await
        .unwrap();
    let rec = s.contact(&co, &h).await.unwrap().unwrap();
    assert_eq!(
        (rec.messages_in, rec.last_inbound.map(|t| t.as_second())),
        (2, Some(800))
    );

    // Dead letters, newest first.
    s.dead_letter(DeadKind::Jobs, "first", "p1").await.unwrap();
    s.dead_letter(DeadKind::Jobs, "second", "p2").await.unwrap();
    let dead = s.dead_letters(DeadKind::Jobs, 10).await.unwrap();
    assert_eq!(
        dead.iter().map(|d| d.reason.as_str()).collect::<Vec<_>>(),
        ["second", "first"]
    );
    assert!(s.dead_letters(DeadKind::Webhooks, 10).await.unwrap().is_empty());

    // Live-panel notices: what one instance publishes, a subscriber hears (on a Cluster too,
    // where the subscription is on one node and PUBLISH may land on another); the embedded store
    // is one process and has no pub/sub.
    match s.subscribe().await.unwrap() {
        None => assert_eq!(s.backend(), "memory"),
        Some(mut sub) => {
            use futures::StreamExt;
            s.publish("{\"hello\":1}").await.unwrap();
            let got = tokio::time::timeout(std::time::Duration::from_secs(3), sub.next())
                .await
                .expect("the notice arrives");
            assert_eq!(got.as_deref(), Some("{\"hello\":1}"));
        }
    }
    s.publish("ignored").await.unwrap();
}

#[tokio::test]
async fn redis_store_conforms() {
    conformance(store(Backend::Redis).await).await;
}

#[tokio::test]
async fn memory_store_conforms() {
    conformance(store(Backend::Memory).await).await;
}

/// Against a Redis Cluster: every per-contact script touches one slot only, job streams and the
/// company index live in their own slots. `.ci/run` starts a 3-node cluster and sets the URL.
#[tokio::test]
async fn redis_cluster_store_conforms() {
    let Ok(url) = std::env::var("REDIS_CLUSTER_URL") else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must provide REDIS_CLUSTER_URL (bash .ci/run starts a cluster)"
        );
        eprintln!("REDIS_CLUSTER_URL is not set: skipping the cluster run (bash .ci/run sets it)");
        return;
    };
    let dir = test_config_dir("");
    let settings = Settings::load(&dir).unwrap();
    let store =
        dossier::store::redis::RedisStore::connect(&url, dossier::startup::redis_options(&settings, &unique_prefix()))
            .await
            .expect("the cluster at REDIS_CLUSTER_URL answers");
    conformance(Arc::new(store)).await;
}
