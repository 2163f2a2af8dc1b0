//! The WhatsApp webhook against real Redis: fixtures, redelivery, ordering, statuses, bad input.

use crate::helpers::*;
use dossier::channels::whatsapp::payload::{Envelope, parse_messages_value};
use dossier::store::DeadKind;
use dossier::store::Queue;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

#[tokio::test]
async fn verification_handshake() {
    let app = spawn_app().await;
    let url = |token: &str| {
        format!("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={token}")
    };
    let ok = app.get(&url(VERIFY_TOKEN)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    assert_eq!(app.get(&url("wrong")).await.status(), 403);
    assert_eq!(app.get("/webhooks/whatsapp?hub.challenge=1").await.status(), 400);
}

/// What the fixtures should leave in the store: (contact → message ids) for company acme.
fn expected_from_fixtures() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, bytes) in whatsapp_fixtures() {
        let env: Envelope = serde_json::from_slice(&bytes).unwrap();
        for e in env.entry {
            for c in e.changes {
                if c.field != "messages" {
                    continue;
                }
                let Ok(v) = parse_messages_value(&c.value) else {
                    continue;
                };
                if !ACME_PNIDS.contains(&v.metadata.phone_number_id.as_str()) {
                    continue;
                }
                for m in v.messages {
                    let key = m
                        .from
                        .clone()
                        .or_else(|| v.contacts.first().and_then(|c| c.wa_id.clone()))
                        .or(m.from_user_id.clone())
                        .or_else(|| v.contacts.first().and_then(|c| c.user_id.clone()));
                    let Some(key) = key else { continue };
                    if dossier_core::ContactId::parse(key.clone()).is_err() {
                        continue;
                    }
                    out.entry(key).or_default().insert(m.id.clone());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_fixture_delivered_three_times_is_stored_once() {
    let app = spawn_app().await;
    let fixtures = whatsapp_fixtures();
    assert_eq!(fixtures.len(), 40);
    for round in 0..3 {
        for (name, bytes) in &fixtures {
            let r = app.post_webhook(bytes).await;
            assert_eq!(r.status(), 200, "{name} round {round}: {}", r.text().await.unwrap());
        }
    }
    let expected = expected_from_fixtures();
    assert!(expected.len() >= 4, "{expected:?}");
    let total: usize = expected.values().map(BTreeSet::len).sum();
    assert!(total >= 10, "{total}");
    for (contact, ids) in &expected {
        let r = app.get_messages("acme", contact, ACME_TOKEN).await;
        assert_eq!(r.status(), 200, "{contact}");
        let v: Value = r.json().await.unwrap();
        let got: Vec<String> = v["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect();
        let unique: BTreeSet<String> = got.iter().cloned().collect();
        assert_eq!(
            got.len(),
            unique.len(),
            "{contact}: a message was stored twice: {got:?}"
        );
        assert_eq!(&unique, ids, "{contact}");
    }
    // Analysis jobs: one per contact with stored messages (its messages wait for one analysis),
    // however often Meta redelivered.
    let mut jobs = 0;
    loop {
        let batch = app.store.read_jobs(Queue::Analysis, "t", 100, 0).await.unwrap();
        if batch.is_empty() {
            break;
        }
        jobs += batch.len();
    }
    assert_eq!(jobs, expected.len(), "one analysis job per contact, {total} messages");
    // The fixtures with placeholder phone number ids are kept as dead letters with the reason.
    let dead = app.store.dead_letters(DeadKind::Webhooks, 100).await.unwrap();
    assert!(
        dead.iter()
            .any(|d| d.reason.contains("unknown phone_number_id PHONE_NUMBER_ID")),
        "{dead:?}"
    );
}

#[tokio::test]
async fn the_text_fixture_is_stored_with_its_text_and_contact_record() {
    let app = spawn_app().await;
    let (_, bytes) = whatsapp_fixtures()
        .into_iter()
        .find(|(n, _)| n == "text_message.json")
        .unwrap();
    assert_eq!(app.post_webhook(&bytes).await.status(), 200);
    let v: Value = app
        .get_messages("acme", "972987654321", ACME_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["messages"][0]["text"], "Body Text");
    assert_eq!(v["messages"][0]["direction"], "in");
    assert_eq!(v["messages"][0]["timestamp"], "2023-10-11T16:53:43Z");
    let c = app
        .store
        .contact(&"acme".parse().unwrap(), &"972987654321".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.profile_name.as_deref(), Some("Test Name"));
    assert_eq!(c.user_id.as_deref(), Some("US.13491208655302741918"));
}

fn text_envelope(pnid: &str, from: &str, id: &str, ts: i64, body: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "1555", "phone_number_id": pnid },
            "contacts": [{ "profile": { "name": "Ana" }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": ts.to_string(), "type": "text", "text": { "body": body } }]
        }}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn shuffled_arrival_reads_sorted_with_ties_in_arrival_order() {
    let app = spawn_app().await;
    // 30 messages over 10 distinct seconds (so three share each second), posted in a scrambled order.
    let mut order: Vec<usize> = (0..30).collect();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for i in (1..order.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        order.swap(i, (seed % (i as u64 + 1)) as usize);
    }
    for &i in &order {
        let ts = 1_760_000_000 + (i as i64 % 10);
        let body = text_envelope(
            "1122334455667",
            "5215550001111",
            &format!("wamid.s{i:02}"),
            ts,
            &format!("m{i}"),
        );
        assert_eq!(app.post_webhook(&body).await.status(), 200);
    }
    let v: Value = app
        .get_messages("acme", "5215550001111", ACME_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<(String, String)> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["timestamp"].as_str().unwrap().to_owned(),
                m["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got.len(), 30);
    let mut expected: Vec<(String, String)> = Vec::new();
    for sec in 0..10 {
        // Within one second: the order in which they arrived.
        for &i in order.iter().filter(|&&i| i % 10 == sec) {
            let ts = jiff::Timestamp::from_second(1_760_000_000 + sec as i64)
                .unwrap()
                .to_string();
            expected.push((ts, format!("wamid.s{i:02}")));
        }
    }
    assert_eq!(got, expected);
    // Paging back with `before` returns the older part, still oldest first.
    let cut = jiff::Timestamp::from_second(1_760_000_005).unwrap();
    let v: Value = app
        .client
        .get(format!(
            "{}/v1/companies/acme/contacts/5215550001111/messages?limit=4&before={cut}",
            app.address
        ))
        .bearer_auth(ACME_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page: Vec<&str> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = expected[11..15].iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(page, want);
}

fn status_envelope(id: &str, status: &str, ts: i64, recipient: &str, errors: Option<Value>) -> Vec<u8> {
    let mut s = json!({ "id": id, "status": status, "timestamp": ts.to_string(), "recipient_id": recipient });
    if let Some(e) = errors {
        s["errors"] = e;
    }
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "1", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "1555", "phone_number_id": "1122334455667" },
            "statuses": [s]
        }}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn statuses_in_any_order_end_in_the_right_state() {
    let app = spawn_app().await;
    let contact = "5215550002222";
    let perms: [[&str; 3]; 6] = [
        ["sent", "delivered", "read"],
        ["sent", "read", "delivered"],
        ["delivered", "sent", "read"],
        ["delivered", "read", "sent"],
        ["read", "sent", "delivered"],
        ["read", "delivered", "sent"],
    ];
    for (i, p) in perms.iter().enumerate() {
        let id = format!("wamid.out{i}");
        let r = app
            .client
            .post(format!("{}/v1/companies/acme/messages", app.address))
            .bearer_auth(ACME_TOKEN)
            .json(&json!({ "contact": { "wa_id": contact }, "message": {
                "id": id, "direction": "out", "timestamp": "2026-10-01T10:00:00Z", "text": format!("offer {i}") } }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        for s in p {
            assert_eq!(
                app.post_webhook(&status_envelope(&id, s, 1_760_000_100, contact, None))
                    .await
                    .status(),
                200
            );
        }
    }
    // failed keeps its error, and a later `sent` does not undo it.
    let failed_errors = json!([{ "code": 131047, "title": "Re-engagement message" }]);
    app.client
        .post(format!("{}/v1/companies/acme/messages", app.address))
        .bearer_auth(ACME_TOKEN)
        .json(&json!({ "contact": { "wa_id": contact }, "message": {
            "id": "wamid.outF", "direction": "out", "timestamp": "2026-10-01T10:00:01Z", "text": "late" } }))
        .send()
        .await
        .unwrap();
    for (s, e) in [
        ("sent", None),
        ("failed", Some(failed_errors)),
        ("sent", None),
        ("delivered", None),
    ] {
        app.post_webhook(&status_envelope("wamid.outF", s, 1_760_000_200, contact, e))
            .await;
    }
    let v: Value = app
        .get_messages("acme", contact, ACME_TOKEN)
        .await
        .json()
        .await
        .unwrap();
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 7);
    for m in &msgs[..6] {
        assert_eq!(m["status"], "read", "{m}");
    }
    assert_eq!(msgs[6]["status"], "failed");
    assert_eq!(msgs[6]["detail"]["errors"][0]["code"], 131047);
}

#[tokio::test]
async fn bad_signatures_are_401_and_store_nothing() {
    let app = spawn_app().await;
    let body = text_envelope("1122334455667", "5215550003333", "wamid.sig", 1_760_000_000, "hola");
    let url = format!("{}/webhooks/whatsapp", app.address);
    let none = app.client.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = app
        .client
        .post(&url)
        .header(
            "x-hub-signature-256",
            dossier::channels::whatsapp::signature::sign(b"not-the-secret", &body),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let v: Value = wrong.json().await.unwrap();
    assert_eq!(v["error"]["code"], "unauthorized");
    // A body changed after signing (one byte) is refused too.
    let mut tampered = body.clone();
    let sig = dossier::channels::whatsapp::signature::sign(APP_SECRET.as_bytes(), &body);
    *tampered.last_mut().unwrap() = b' ';
    let r = app
        .client
        .post(&url)
        .header("x-hub-signature-256", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.get_messages("acme", "5215550003333", ACME_TOKEN).await.status(),
        404
    );
    assert!(app.store.dead_letters(DeadKind::Webhooks, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app().await;
    let big = vec![b' '; 1024 * 1024 + 1];
    let r = app.post_webhook(&big).await;
    assert_eq!(r.status(), 413);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn unusable_but_signed_bodies_are_dead_lettered_and_acknowledged() {
    let app = spawn_app().await;
    assert_eq!(app.post_webhook(b"{not json").await.status(), 200);
    let unknown = text_envelope("999999", "5215550004444", "wamid.unk", 1_760_000_000, "hi");
    assert_eq!(app.post_webhook(&unknown).await.status(), 200);
    let dead = app.store.dead_letters(DeadKind::Webhooks, 10).await.unwrap();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(
        dead.iter()
            .any(|d| d.reason.contains("not a webhook envelope") && d.payload == "{not json")
    );
    assert!(dead.iter().any(|d| d.reason.contains("unknown phone_number_id 999999")));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("outcome=\"dead_lettered\""), "{metrics}");
    // Random bytes never panic the service.
    for n in 0..50u8 {
        let junk: Vec<u8> = (0..(n as usize * 7))
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(n))
            .collect();
        assert_eq!(app.post_webhook(&junk).await.status(), 200);
    }
}
