//! WhatsApp as it is in 2026 (issue #13), end to end against real Redis: Conversation Routing
//! (`standby`, `messaging_handovers`, take over and hand back through Thread Control),
//! coexistence (`smb_message_echoes`, `history`), what each send costs, and templates
//! (`template_category_update`, `/marketing_messages`, who may not get which category).
//! Fixtures: `tests/fixtures/whatsapp/2026/` (see SOURCES.md there).

use crate::helpers::{ACME_TOKEN, ADMIN_TOKEN, OTHER_PNID, OTHER_TOKEN, TestApp, repo_path, spawn_app};
use crate::slack::{ChatApp, PNID, TEAM, WA_ID, eventually, mock_graph_ok, mock_slack_ok, spawn_chat_app};
use dossier::copilot::thread::{self, Handler};
use dossier::store::{DeadKind, Queue};
use dossier_core::{CompanyId, ContactId, Message};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("tests/fixtures/whatsapp/2026/{name}"))).unwrap()
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

fn acme() -> CompanyId {
    CompanyId::parse("acme").unwrap()
}

fn maria() -> ContactId {
    ContactId::parse(WA_ID).unwrap()
}

async fn messages(app: &TestApp, contact: &str) -> Vec<Message> {
    let r = app.get_messages("acme", contact, ACME_TOKEN).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    serde_json::from_value(v["messages"].clone()).unwrap_or_else(|_| serde_json::from_value(v).unwrap())
}

async fn dead_reasons(app: &TestApp) -> Vec<String> {
    app.store
        .dead_letters(DeadKind::Webhooks, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.reason)
        .collect()
}

async fn thread_of(app: &dossier::state::AppState, company: &str, contact: &str) -> Option<thread::Thread> {
    thread::load(
        app,
        &CompanyId::parse(company).unwrap(),
        &ContactId::parse(contact).unwrap(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn every_new_fixture_is_acknowledged_and_the_old_ones_still_parse() {
    let app = spawn_app().await;
    let dir = repo_path("tests/fixtures/whatsapp/2026");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let body = std::fs::read(&p).unwrap();
            assert_eq!(app.post_webhook(&body).await.status(), 200, "{}", p.display());
            n += 1;
        }
    }
    assert_eq!(n, 10);
    // The 40 older fixtures still parse as `messages` changes.
    for (name, bytes) in crate::helpers::whatsapp_fixtures() {
        let env: dossier::channels::whatsapp::payload::Envelope = serde_json::from_slice(&bytes).unwrap();
        for c in env.entry.iter().flat_map(|e| &e.changes) {
            dossier::channels::whatsapp::payload::parse_messages_value(&c.value)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[tokio::test]
async fn standby_copies_are_stored_and_say_another_responder_handles_the_thread() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_webhook(&fixture("standby_message_and_echo.json"))
            .await
            .status(),
        200
    );
    let ms = messages(&app, WA_ID).await;
    let ids: Vec<(&str, bool)> = ms.iter().map(|m| (m.id.as_str(), m.is_inbound())).collect();
    assert_eq!(ids, [("wamid.STBY.IN.1", true), ("wamid.STBY.ECHO.1", false)]);
    assert_eq!(ms[0].detail.as_ref().unwrap()["source"], "standby");
    assert_eq!(ms[1].detail.as_ref().unwrap()["source"], "standby_echo");
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!(t.handler, Handler::Other);
    // The profile API says who handles the conversation.
    let p: Value = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/companies/acme/contacts/{WA_ID}/profile"),
            ACME_TOKEN,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["conversation"]["handled_by"], "other", "{p}");
    // The echo is a business message: it feeds the profile, opens no window and asks for no draft.
    let rec = app.store.contact(&acme(), &maria()).await.unwrap().unwrap();
    assert_eq!((rec.messages_in, rec.messages_out), (1, 1));
    assert_eq!(rec.last_inbound.unwrap().as_second(), 1764590000);
}

#[tokio::test]
async fn handovers_move_ownership_forwards_only() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_webhook(&fixture("handover_control_passed.json"))
            .await
            .status(),
        200
    );
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!(t.handler, Handler::Dossier);
    assert_eq!(t.previous_role.as_deref(), Some("ai_agent"));
    assert_eq!(t.phone_number_id.as_deref(), Some(PNID));
    assert_eq!(
        app.post_webhook(&fixture("handover_control_taken.json")).await.status(),
        200
    );
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!((t.handler, t.role.as_deref()), (Handler::Other, Some("ai_agent")));
    // A redelivered, older control_passed does not move it back.
    assert_eq!(
        app.post_webhook(&fixture("handover_control_passed.json"))
            .await
            .status(),
        200
    );
    let again = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!(again, t);
    // A customer message on `messages` after the take: routing gave dossier the thread again.
    app.post_texts(WA_ID, &[("wamid.after.release", 1764597600, "¿Siguen ahí?")])
        .await;
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!(t.handler, Handler::Dossier);
}

#[tokio::test]
async fn a_handover_for_another_companys_number_changes_only_that_company() {
    let app = spawn_app().await;
    let mut body = fixture_json("handover_control_taken.json");
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!(OTHER_PNID);
    assert_eq!(app.post_webhook(body.to_string().as_bytes()).await.status(), 200);
    assert!(thread_of(&app.state, "acme", WA_ID).await.is_none());
    assert_eq!(
        thread_of(&app.state, "other", WA_ID).await.unwrap().handler,
        Handler::Other
    );
    // Another company's token cannot read acme's contact, and acme's profile knows no routing.
    let r = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/companies/acme/contacts/{WA_ID}/profile"),
            OTHER_TOKEN,
            None,
        )
        .await;
    assert_eq!(r.status(), 403);
    // An unknown number: dead-lettered, nothing stored.
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("000000");
    assert_eq!(app.post_webhook(body.to_string().as_bytes()).await.status(), 200);
    assert!(
        dead_reasons(&app)
            .await
            .iter()
            .any(|r| r.contains("unknown phone_number_id"))
    );
}

#[tokio::test]
async fn malformed_handover_and_standby_items_are_dead_lettered_and_the_rest_is_stored() {
    let app = spawn_app().await;
    let mut body = fixture_json("handover_control_passed.json");
    let good = body["entry"][0]["changes"][0]["value"]["handovers"][0].clone();
    body["entry"][0]["changes"][0]["value"]["contacts"] = json!([]);
    body["entry"][0]["changes"][0]["value"]["handovers"] = json!([
        { "type": "control_passed" },
        { "from": WA_ID },
        "garbage",
        { "type": 7, "from": [1, 2] },
        { "type": "self_destruct", "from": WA_ID },
        good,
    ]);
    // Same POST: a standby change with one message missing its id and one good one, and a
    // history change whose thread is not an object.
    let standby = json!({ "field": "standby", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550783881", "phone_number_id": PNID },
        "messages": [
            { "from": WA_ID, "timestamp": "1764590000", "type": "text", "text": { "body": "sin id" } },
            { "from": WA_ID, "id": "wamid.STBY.OK", "timestamp": "1764590001", "type": "text", "text": { "body": "hola" } },
            { "from": WA_ID, "id": "wamid.STBY.BADTS", "timestamp": { "nested": true }, "type": "text" }
        ],
        "message_echoes": "not a list"
    }});
    let history = json!({ "field": "history", "value": {
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "15550783881", "phone_number_id": PNID },
        "history": [{ "threads": ["nope", { "id": "not a number!", "messages": [] }] }]
    }});
    let no_metadata = json!({ "field": "messaging_handovers", "value": { "handovers": [] } });
    body["entry"][0]["changes"]
        .as_array_mut()
        .unwrap()
        .extend([standby, history, no_metadata]);
    assert_eq!(app.post_webhook(body.to_string().as_bytes()).await.status(), 200);
    // The good handover was applied, the good standby message stored.
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    // The pass (12:00:00) is newer than the standby copy (11:53:21): an older copy does not undo it.
    assert_eq!(t.handler, Handler::Dossier);
    let ids: Vec<String> = messages(&app, WA_ID)
        .await
        .into_iter()
        .map(|m| m.id.to_string())
        .collect();
    assert_eq!(ids, ["wamid.STBY.OK"]);
    let reasons = dead_reasons(&app).await;
    for expect in [
        "no user",
        "not an object",
        "handover without `type`",
        "unknown handover type",
        "standby",
        "history",
        "metadata",
    ] {
        assert!(reasons.iter().any(|r| r.contains(expect)), "{expect}: {reasons:?}");
    }
}

#[tokio::test]
async fn app_echoes_are_agent_messages_and_only_the_business_own_are_edited_or_revoked() {
    let app = spawn_app().await;
    assert_eq!(
        app.post_webhook(&fixture("smb_message_echoes_text.json"))
            .await
            .status(),
        200
    );
    let ms = messages(&app, WA_ID).await;
    assert_eq!(ms.len(), 1);
    assert!(!ms[0].is_inbound());
    assert_eq!(ms[0].detail.as_ref().unwrap()["source"], "business_app");
    // An app echo does not open the Cloud API's 24-hour window.
    let rec = app.store.contact(&acme(), &maria()).await.unwrap().unwrap();
    assert_eq!(rec.last_inbound, None);
    assert_eq!(
        app.post_webhook(&fixture("smb_message_echoes_edit.json"))
            .await
            .status(),
        200
    );
    let ms = messages(&app, WA_ID).await;
    assert_eq!(ms.len(), 1, "an edit changes the message, it is not a new one");
    assert_eq!(ms[0].text(), "Le mando la cotización del Corolla LE en un momento");
    assert_eq!(
        ms[0].detail.as_ref().unwrap()["edited"]["previous_text"],
        "Le mando la cotización del Corolla en un momento"
    );
    assert_eq!(
        app.post_webhook(&fixture("smb_message_echoes_revoke.json"))
            .await
            .status(),
        200
    );
    let ms = messages(&app, WA_ID).await;
    assert_eq!((ms[0].text.as_deref(), ms[0].kind.as_deref()), (None, Some("revoked")));
    // An echo that claims to edit (or revoke) the customer's own message is refused.
    app.post_texts(WA_ID, &[("wamid.CUSTOMER.1", 1764591500, "Quiero el rojo")])
        .await;
    for kind in ["edit", "revoke"] {
        let mut forged = fixture_json(&format!("smb_message_echoes_{kind}.json"));
        let echo = &mut forged["entry"][0]["changes"][0]["value"]["message_echoes"][0];
        echo["id"] = json!(format!("wamid.FORGED.{kind}"));
        echo[kind]["original_message_id"] = json!("wamid.CUSTOMER.1");
        assert_eq!(app.post_webhook(forged.to_string().as_bytes()).await.status(), 200);
    }
    let ms = messages(&app, WA_ID).await;
    let customer = ms.iter().find(|m| m.id.as_str() == "wamid.CUSTOMER.1").unwrap();
    assert_eq!(customer.text(), "Quiero el rojo");
    assert_eq!(ms.len(), 2);
    let reasons = dead_reasons(&app).await;
    assert_eq!(
        reasons
            .iter()
            .filter(|r| r.contains("names a customer message"))
            .count(),
        2,
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_history_backfill_is_stored_once_in_order_with_one_analysis_per_contact_and_no_draft() {
    let app = spawn_app().await;
    let body = fixture("history_chunk.json");
    assert_eq!(app.post_webhook(&body).await.status(), 200);
    assert_eq!(app.post_webhook(&body).await.status(), 200, "a replayed chunk");
    // The next chunk (phase 1) arrives while the first analysis still waits: it joins that job.
    let mut next = fixture_json("history_chunk.json");
    let h = &mut next["entry"][0]["changes"][0]["value"]["history"][0];
    h["metadata"]["phase"] = json!(1);
    h["threads"] = json!([{ "id": WA_ID, "messages": [
        { "from": WA_ID, "id": "wamid.HIST.0", "timestamp": "1764400000", "type": "text", "text": { "body": "Buenas" } }
    ]}]);
    assert_eq!(app.post_webhook(next.to_string().as_bytes()).await.status(), 200);
    let ms = messages(&app, WA_ID).await;
    let got: Vec<(&str, bool)> = ms.iter().map(|m| (m.id.as_str(), m.is_inbound())).collect();
    assert_eq!(
        got,
        [
            ("wamid.HIST.0", true),
            ("wamid.HIST.1", true),
            ("wamid.HIST.2", false),
            ("wamid.HIST.3", true)
        ]
    );
    assert!(ms.iter().all(|m| m.detail.as_ref().unwrap()["source"] == "history"));
    assert_eq!(messages(&app, "5215500000002").await.len(), 1);
    // Past chats do not open the Cloud API's window.
    let rec = app.store.contact(&acme(), &maria()).await.unwrap().unwrap();
    assert_eq!((rec.messages_in, rec.messages_out, rec.last_inbound), (3, 1, None));
    // One analysis job per contact for the backfill: none for the replay, none for the next chunk.
    let jobs = app.store.read_jobs(Queue::Analysis, "t", 100, 0).await.unwrap();
    let mut contacts: Vec<String> = jobs
        .iter()
        .map(|e| {
            dossier::jobs::job::Job::from_payload(e.payload.as_deref())
                .unwrap()
                .contact
                .to_string()
        })
        .collect();
    contacts.sort();
    assert_eq!(contacts, ["5215500000002", WA_ID]);
    for e in jobs {
        dossier::jobs::worker::handle(&app.state, e).await;
    }
    // The analysis ran and made no reply due.
    let doc = app.store.doc(&acme(), &maria(), "profile").await.unwrap().unwrap();
    let doc: dossier::analysis::doc::ProfileDoc = serde_json::from_slice(&doc.body).unwrap();
    assert_eq!(doc.draft_due, None);
    assert_eq!(app.drain_jobs().await, 0, "no draft job");
}

#[tokio::test]
async fn status_pricing_is_kept_on_the_outgoing_message() {
    let app = spawn_app().await;
    let r = app
        .ingest(WA_ID, "wamid.SENT1", "out", "2026-12-01T10:00:00Z", "Claro")
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        app.post_webhook(&fixture("status_delivered_pricing_service.json"))
            .await
            .status(),
        200
    );
    // `read` carries no pricing and outranks `delivered`: the pricing stays on the message.
    let mut read = fixture_json("status_delivered_pricing_service.json");
    let s = &mut read["entry"][0]["changes"][0]["value"]["statuses"][0];
    s["status"] = json!("read");
    s["timestamp"] = json!("1764592100");
    s.as_object_mut().unwrap().remove("pricing");
    assert_eq!(app.post_webhook(read.to_string().as_bytes()).await.status(), 200);
    let m = messages(&app, WA_ID).await.pop().unwrap();
    assert_eq!(m.status.as_deref(), Some("read"));
    assert_eq!(
        m.detail.unwrap()["pricing"],
        json!({ "category": "service", "pricing_model": "PMP", "type": "regular" })
    );
}

#[tokio::test]
async fn spend_route_checks_its_input_and_tenant() {
    let app = spawn_app().await;
    let get = |token: &'static str, q: &'static str| {
        let app = &app;
        async move {
            app.api(
                reqwest::Method::GET,
                &format!("/v1/companies/acme/spend{q}"),
                token,
                None,
            )
            .await
        }
    };
    assert_eq!(get(ACME_TOKEN, "?month=2026-13").await.status(), 400);
    assert_eq!(get(ACME_TOKEN, "?month=december").await.status(), 400);
    assert_eq!(get(ACME_TOKEN, "?month=2026-12&x=1").await.status(), 400);
    assert_eq!(get(OTHER_TOKEN, "?month=2026-12").await.status(), 403);
    assert_eq!(get("wrong", "?month=2026-12").await.status(), 401);
    let v: Value = get(ADMIN_TOKEN, "?month=2026-12").await.json().await.unwrap();
    assert_eq!(v["total"]["sends"], 0, "{v}");
}

// --- The approve flow against the Graph fake -------------------------------------------------

async fn card_with(app: &ChatApp, action: &str) -> Option<(Value, String)> {
    for body in app
        .slack_bodies("/api/chat.postMessage")
        .await
        .into_iter()
        .chain(app.slack_bodies("/api/chat.update").await)
        .rev()
    {
        if let Some(v) = crate::slack::button_value(&body["blocks"], action) {
            return Some((body, v));
        }
    }
    None
}

async fn graph_requests(app: &ChatApp, p: &str) -> Vec<wiremock::Request> {
    app.graph
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

#[tokio::test]
async fn approve_never_takes_a_thread_silently_take_over_sends_and_hand_back_passes() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    Mock::given(method("POST"))
        .and(path(format!("/tc/{PNID}/thread_control")))
        .and(header("x-api-version", "1.0.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .mount(&app.graph)
        .await;
    // Meta's agent took the thread; then the customer writes (a standby copy would say the same).
    assert_eq!(
        app.post_webhook(&fixture("handover_control_taken.json")).await.status(),
        200
    );
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.draft_job().await.unwrap();
    let (card, take_over) = card_with(&app, "draft_take_over").await.expect("a Take over button");
    let text = card["blocks"].to_string();
    assert!(
        text.contains("Meta's agent (Meta Business Agent)* is handling this conversation"),
        "{text}"
    );
    assert!(text.contains("takes the conversation over"), "{text}");
    assert!(
        text.contains("Approving sends a billable service message: about 0.0085 USD"),
        "{text}"
    );
    assert!(
        !text.contains("\"draft_approve\""),
        "no plain Approve while another responder owns the thread"
    );
    // A plain approve (an old card, a hand-made click) is refused: nothing goes to WhatsApp.
    let key = dossier::copilot::token::derive_key(crate::slack::SIGNING_SECRET.as_bytes());
    let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap()
        .1;
    let approve = dossier::copilot::token::sign(&key, "acme", WA_ID, d.seq, "draft_approve");
    assert_eq!(app.click(TEAM, "draft_approve", &approve, "1.1").await.status(), 200);
    assert!(
        eventually(|| async {
            let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
                .await
                .unwrap()
                .unwrap()
                .1;
            d.note
                .as_deref()
                .is_some_and(|n| n.contains("is handling this conversation"))
        })
        .await
    );
    assert!(
        graph_requests(&app, &format!("/v25.0/{PNID}/messages"))
            .await
            .is_empty()
    );
    // Take over and send: one message out, the thread is dossier's, the card offers Hand back.
    assert_eq!(
        app.click(TEAM, "draft_take_over", &take_over, "1.1").await.status(),
        200
    );
    assert!(eventually(|| async { graph_requests(&app, &format!("/v25.0/{PNID}/messages")).await.len() == 1 }).await);
    let sent: Value =
        serde_json::from_slice(&graph_requests(&app, &format!("/v25.0/{PNID}/messages")).await[0].body).unwrap();
    assert_eq!(sent["to"], format!("+{WA_ID}"));
    assert_eq!(sent["type"], "text");
    assert!(eventually(|| async { card_with(&app, "draft_hand_back").await.is_some() }).await);
    let t = thread_of(&app.state, "acme", WA_ID).await.unwrap();
    assert_eq!(
        (t.handler, t.previous_role.as_deref()),
        (Handler::Dossier, Some("ai_agent"))
    );
    // The send is counted: Prometheus-side and in the month's spend.
    let month = jiff::Timestamp::now().strftime("%Y-%m").to_string();
    let spend: Value = app
        .http
        .get(format!("{}/v1/companies/acme/spend?month={month}", app.address))
        .bearer_auth(crate::slack::ACME_API)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(spend["categories"]["service"]["sends"], 1, "{spend}");
    assert_eq!(spend["categories"]["service"]["estimated"]["USD"], "0.0085", "{spend}");
    let metrics = app
        .http
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("dossier_whatsapp_sends_total{company=\"acme\",category=\"service\"}"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "dossier_whatsapp_spend_estimated_micros_total{company=\"acme\",category=\"service\",currency=\"USD\"}"
    ));
    // The profile card says who handles the conversation now.
    let card: Value = app.command(&format!("profile +{WA_ID}")).await.json().await.unwrap();
    assert!(
        card.to_string().contains("handled by dossier (your agents) since"),
        "{card}"
    );
    // Hand back: Thread Control `pass` to the role it was taken from, the exact documented body.
    let (_, hand_back) = card_with(&app, "draft_hand_back").await.unwrap();
    assert_eq!(
        app.click(TEAM, "draft_hand_back", &hand_back, "1.1").await.status(),
        200
    );
    let tc = format!("/tc/{PNID}/thread_control");
    assert!(eventually(|| async { graph_requests(&app, &tc).await.len() == 1 }).await);
    let req = &graph_requests(&app, &tc).await[0];
    assert_eq!(req.headers.get("x-api-version").unwrap(), "1.0.0");
    assert_eq!(req.headers.get("authorization").unwrap(), "Bearer graph-test-token");
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({ "messaging_product": "whatsapp", "action": "pass", "to": format!("+{WA_ID}"), "control_pass": { "target_role": "ai_agent" } })
    );
    assert!(
        eventually(|| async {
            thread_of(&app.state, "acme", WA_ID)
                .await
                .is_some_and(|t| t.handler == Handler::Other)
        })
        .await
    );
}

#[tokio::test]
async fn marketing_templates_go_to_marketing_messages_and_are_never_offered_to_plus_one_or_auth_to_bsuid_only() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/marketing_messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "messages": [{ "id": "wamid.MKT1", "message_status": "accepted" }],
        })))
        .mount(&app.graph)
        .await;
    // An impending change is not routed on; the completed one is.
    assert_eq!(
        app.post_webhook(&fixture("template_category_update_impending.json"))
            .await
            .status(),
        200
    );
    let t = app
        .state
        .companies
        .get("acme")
        .unwrap()
        .config
        .whatsapp
        .template
        .clone()
        .unwrap();
    assert_eq!(
        dossier::copilot::templates::category(&app.state, &app.company, &t).await,
        dossier::config::MessageCategory::Utility
    );
    assert_eq!(
        app.post_webhook(&fixture("template_category_update_completed.json"))
            .await
            .status(),
        200
    );
    assert_eq!(
        dossier::copilot::templates::category(&app.state, &app.company, &t).await,
        dossier::config::MessageCategory::Marketing
    );
    // Window closed (last customer message 30 h ago): the card offers the template, which now
    // goes to /marketing_messages.
    app.seed_customer(jiff::SignedDuration::from_hours(30)).await;
    app.draft_job().await.unwrap();
    let key = dossier::copilot::token::derive_key(crate::slack::SIGNING_SECRET.as_bytes());
    let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap()
        .1;
    let approve = dossier::copilot::token::sign(&key, "acme", WA_ID, d.seq, "draft_approve");
    app.click(TEAM, "draft_approve", &approve, "1.1").await;
    assert!(eventually(|| async { card_with(&app, "draft_template").await.is_some() }).await);
    let (_, tpl) = card_with(&app, "draft_template").await.unwrap();
    app.click(TEAM, "draft_template", &tpl, "1.1").await;
    let mkt = format!("/v25.0/{PNID}/marketing_messages");
    assert!(eventually(|| async { graph_requests(&app, &mkt).await.len() == 1 }).await);
    assert!(
        graph_requests(&app, &format!("/v25.0/{PNID}/messages"))
            .await
            .is_empty()
    );
    let body: Value = serde_json::from_slice(&graph_requests(&app, &mkt).await[0].body).unwrap();
    assert_eq!(body["template"]["name"], "follow_up_es_en");
    // A +1 number is never offered the (now marketing) template, and the card says why.
    let us = ContactId::parse("16505551234").unwrap();
    seed_old_message(&app, &us).await;
    let card = dossier::copilot::drafts::draft_on_demand(&app.state, &app.company, &us, None)
        .await
        .unwrap();
    assert_eq!(card.draft.template_offer, None);
    assert!(card.draft.template_blocked.as_deref().unwrap().contains("US (+1)"));
    let (_, blocks) = dossier::channels::slack::blocks::draft_card(
        &dossier::copilot::drafts::DraftCard {
            draft: dossier::copilot::drafts::Draft {
                window_closed: true,
                ..card.draft.clone()
            },
            ..card.clone()
        },
        b"k",
    );
    let s = blocks.to_string();
    assert!(s.contains("US (+1)") && !s.contains("draft_template"), "{s}");
    // An authentication template is never offered to a contact known only by its BSUID.
    let change = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{ "field": "template_category_update", "value": {
        "message_template_id": 1, "message_template_name": "follow_up_es_en", "message_template_language": "en_US",
        "previous_category": "MARKETING", "new_category": "AUTHENTICATION" } }] }] });
    assert_eq!(app.post_webhook(change.to_string().as_bytes()).await.status(), 200);
    let bsuid = ContactId::parse("MX.13491208655302741918").unwrap();
    seed_old_message(&app, &bsuid).await;
    let card = dossier::copilot::drafts::draft_on_demand(&app.state, &app.company, &bsuid, None)
        .await
        .unwrap();
    assert_eq!(card.draft.template_offer, None);
    assert!(
        card.draft
            .template_blocked
            .as_deref()
            .unwrap()
            .contains("business-scoped")
    );
    // …while a phone contact still is.
    let card = dossier::copilot::drafts::draft_on_demand(&app.state, &app.company, &app.contact(), None)
        .await
        .unwrap();
    assert_eq!(card.draft.template_offer.as_deref(), Some("follow_up_es_en"));
}

async fn seed_old_message(app: &ChatApp, contact: &ContactId) {
    let m = Message {
        id: dossier_core::MessageId::parse(format!("wamid.old.{}", uuid::Uuid::new_v4().simple())).unwrap(),
        direction: dossier_core::Direction::In,
        timestamp: jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30),
        text: Some("Hi, is the Corolla still available?".into()),
        kind: Some("text".into()),
        status: None,
        detail: None,
    };
    let update = dossier::store::ContactUpdate {
        wa_id: contact.is_phone().then(|| contact.to_string()),
        user_id: (!contact.is_phone()).then(|| contact.to_string()),
        profile_name: None,
    };
    app.state
        .store
        .append_message(&app.company, contact, &m, &update)
        .await
        .unwrap();
}

#[tokio::test]
async fn approve_while_standby_is_refused_and_hand_back_releases_when_the_role_is_unknown() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    Mock::given(method("POST"))
        .and(path(format!("/tc/{PNID}/thread_control")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .mount(&app.graph)
        .await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.draft_job().await.unwrap();
    // A standby copy arrives after the draft: the pending card is redrawn with the warning.
    let mut standby = fixture_json("standby_message_and_echo.json");
    let now = jiff::Timestamp::now().as_second().to_string();
    standby["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = json!(now);
    standby["entry"][0]["changes"][0]["value"]["message_echoes"][0]["timestamp"] = json!(now);
    assert_eq!(app.post_webhook(standby.to_string().as_bytes()).await.status(), 200);
    assert!(eventually(|| async { card_with(&app, "draft_take_over").await.is_some() }).await);
    let key = dossier::copilot::token::derive_key(crate::slack::SIGNING_SECRET.as_bytes());
    let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap()
        .1;
    assert_eq!(d.held_by.as_deref(), Some("another responder"));
    let approve = dossier::copilot::token::sign(&key, "acme", WA_ID, d.seq, "draft_approve");
    app.click(TEAM, "draft_approve", &approve, "1.1").await;
    assert!(
        eventually(|| async {
            let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
                .await
                .unwrap()
                .unwrap()
                .1;
            d.note.as_deref().is_some_and(|n| n.contains("Take over and send"))
        })
        .await
    );
    assert!(
        graph_requests(&app, &format!("/v25.0/{PNID}/messages"))
            .await
            .is_empty()
    );
    // An edited reply (the modal) is refused the same way: only the explicit button takes over.
    let refused = dossier::copilot::approve::decide(
        &app.state,
        &app.company,
        &app.contact(),
        d.seq,
        dossier::copilot::approve::Decision::Approve {
            text: Some("Hola".into()),
        },
        "@ana",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(refused.status, dossier::copilot::drafts::DraftStatus::Pending);
    assert!(
        graph_requests(&app, &format!("/v25.0/{PNID}/messages"))
            .await
            .is_empty()
    );
    let (_, take_over) = card_with(&app, "draft_take_over").await.unwrap();
    app.click(TEAM, "draft_take_over", &take_over, "1.1").await;
    assert!(eventually(|| async { card_with(&app, "draft_hand_back").await.is_some() }).await);
    let (_, hand_back) = card_with(&app, "draft_hand_back").await.unwrap();
    app.click(TEAM, "draft_hand_back", &hand_back, "1.1").await;
    let tc = format!("/tc/{PNID}/thread_control");
    assert!(eventually(|| async { graph_requests(&app, &tc).await.len() == 1 }).await);
    let body: Value = serde_json::from_slice(&graph_requests(&app, &tc).await[0].body).unwrap();
    assert_eq!(
        body,
        json!({ "messaging_product": "whatsapp", "action": "release", "to": format!("+{WA_ID}") })
    );
}

#[tokio::test]
async fn mattermost_refuses_approve_while_another_responder_owns_the_thread_and_takes_over_on_its_button() {
    let app = spawn_chat_app().await;
    mock_graph_ok(&app.graph).await;
    assert_eq!(
        app.post_webhook(&fixture("handover_control_taken.json")).await.status(),
        200
    );
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    let card = dossier::copilot::drafts::draft_on_demand(&app.state, &app.company, &app.contact(), None)
        .await
        .unwrap();
    assert!(card.draft.held_by.is_some());
    let rt = app.state.companies.get("acme").unwrap();
    let key = dossier::channels::mattermost::client::button_key(&app.state.secrets, &rt.config).unwrap();
    let (text, att) = dossier::channels::mattermost::render::draft_card(&card, &key, "https://x/mattermost/actions");
    assert!(text.contains("is handling this conversation"), "{text}");
    assert!(att.to_string().contains("draft_take_over") && !att.to_string().contains("draft_approve"));
    let click =
        |action: &'static str| {
            let r = dossier::copilot::token::sign(&key, "acme", WA_ID, card.draft.seq, action);
            let http = app.http.clone();
            let url = format!("{}/mattermost/actions", app.address);
            async move {
                http.post(url)
                .json(&json!({ "user_id": "u1", "user_name": "alan", "team_id": crate::slack::MM_TEAM, "post_id": "p1",
                               "context": { "action": action, "ref": r } }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
            }
        };
    let refused = click("draft_approve").await;
    assert!(
        refused["update"]["message"]
            .as_str()
            .unwrap()
            .contains("Take over and send"),
        "{refused}"
    );
    assert!(app.graph_bodies().await.is_empty());
    let sent = click("draft_take_over").await;
    assert!(
        sent["update"]["message"]
            .as_str()
            .unwrap()
            .contains("taking the conversation over"),
        "{sent}"
    );
    assert_eq!(app.graph_bodies().await.len(), 1);
    assert!(sent.to_string().contains("draft_hand_back"), "{sent}");
}

/// The Slack Edit modal submitted with `text`, its reference signed for `signed_for`.
async fn submit_edit(app: &ChatApp, signed_for: &str, seq: u64, text: &str) -> reqwest::Response {
    let key = dossier::copilot::token::derive_key(crate::slack::SIGNING_SECRET.as_bytes());
    let meta =
        json!({ "ref": dossier::copilot::token::sign(&key, "acme", WA_ID, seq, signed_for), "response_url": null });
    let payload = json!({
        "type": "view_submission",
        "team": { "id": TEAM },
        "user": { "id": "U0AGENT", "team_id": TEAM },
        "view": {
            "callback_id": "draft_edit_submit",
            "private_metadata": meta.to_string(),
            "state": { "values": { "draft_text": { "text": { "value": text } } } },
        },
    });
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    app.signed(
        "/slack/interactions",
        &body,
        dossier::channels::slack::signature::unix_now(),
    )
    .await
}

#[tokio::test]
async fn an_edited_reply_takes_over_only_from_a_modal_that_said_so() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    assert_eq!(
        app.post_webhook(&fixture("handover_control_taken.json")).await.status(),
        200
    );
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.draft_job().await.unwrap();
    let seq = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap()
        .1
        .seq;
    let msgs = format!("/v25.0/{PNID}/messages");
    // A modal signed as a plain edit (opened before the thread changed hands) is refused.
    assert_eq!(
        submit_edit(&app, "draft_edit_submit", seq, "Hola María").await.status(),
        200
    );
    assert!(
        eventually(|| async {
            let d = dossier::copilot::drafts::load(&app.state, &app.company, &app.contact())
                .await
                .unwrap()
                .unwrap()
                .1;
            d.note.as_deref().is_some_and(|n| n.contains("Take over and send"))
        })
        .await
    );
    assert!(graph_requests(&app, &msgs).await.is_empty());
    // The take-over modal sends the edited text and takes the thread.
    assert_eq!(
        submit_edit(&app, "draft_edit_take_over", seq, "Hola María, aquí Ana")
            .await
            .status(),
        200
    );
    assert!(eventually(|| async { graph_requests(&app, &msgs).await.len() == 1 }).await);
    let sent: Value = serde_json::from_slice(&graph_requests(&app, &msgs).await[0].body).unwrap();
    assert_eq!(sent["text"]["body"], "Hola María, aquí Ana");
    assert!(
        eventually(|| async {
            thread_of(&app.state, "acme", WA_ID)
                .await
                .is_some_and(|t| t.handler == Handler::Dossier)
        })
        .await
    );
}
