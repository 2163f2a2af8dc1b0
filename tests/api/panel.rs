//! The profile panel against real Redis: who may open it, what it shows (escaped), the headers
//! that keep it in its frame, live updates over SSE, and the draft buttons sending through the
//! Graph API fake.

use crate::chatwoot::*;
use dossier_core::ContactId;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const HOST: &str = "http://127.0.0.1:9";

impl CwApp {
    async fn panel(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.unwrap()
    }

    async fn action(&self, action: &str, body: Value, key: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/panel/acme/drafts/{action}", self.address))
            .header("x-dossier-panel-key", key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn draft_seq(&self) -> u64 {
        dossier::copilot::drafts::load(&self.state, &acme(), &ContactId::parse(WA).unwrap())
            .await
            .unwrap()
            .expect("a draft")
            .1
            .seq
    }
}

#[tokio::test]
async fn the_key_opens_its_own_company_only() {
    let app = spawn_cw_app(false, &[HOST]).await;
    app.post_event(&incoming(1, "wamid.K1", "Hola, ¿tienen el Toyota Corolla 2022?"))
        .await;
    let c = format!("&contact={WA}");
    assert_eq!(app.panel("/panel/acme").await.status(), 401);
    assert_eq!(app.panel("/panel/acme?key=nope").await.status(), 401);
    assert_eq!(
        app.panel(&format!("/panel/acme?key={OTHER_PANEL_KEY}{c}"))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.panel(&format!("/panel/other?key={PANEL_KEY}{c}")).await.status(),
        403
    );
    assert_eq!(app.panel(&format!("/panel/nosuch?key={PANEL_KEY}")).await.status(), 404);
    for path in ["/panel/acme/view", "/panel/acme/events"] {
        assert_eq!(app.panel(&format!("{path}?key=nope{c}")).await.status(), 401, "{path}");
        assert_eq!(
            app.panel(&format!("{path}?key={OTHER_PANEL_KEY}{c}")).await.status(),
            403,
            "{path}"
        );
    }
    let r = app
        .action("discard", json!({ "contact": WA, "seq": 1 }), OTHER_PANEL_KEY)
        .await;
    assert_eq!(r.status(), 403);
    // Other's key on other's panel cannot see acme's contact: it is not other's.
    let r = app.panel(&format!("/panel/other?key={OTHER_PANEL_KEY}{c}")).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-empty=\"missing\"") && !html.contains("Corolla"),
        "{html}"
    );
    assert_eq!(
        app.panel(&format!("/panel/acme?key={PANEL_KEY}{c}")).await.status(),
        200
    );
}

#[tokio::test]
async fn the_page_shows_the_profile_with_customer_text_escaped_inside_a_strict_csp() {
    let app = spawn_cw_app(false, &[HOST]).await;
    let markup = "<img src=x onerror=alert(1)><b>Hola</b> quiero financiar el Toyota Corolla 2022, mi presupuesto es de 25 mil dólares";
    app.post_event(&incoming(1, "wamid.X1", markup)).await;
    app.drain_jobs().await;
    let r = app
        .panel(&format!(
            "/panel/acme?key={PANEL_KEY}&contact=%2B52%201%2055%201234%205678"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(csp.contains(&format!("frame-ancestors {HOST}")), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let html = r.text().await.unwrap();
    for field in ["name", "phone", "stage", "interests", "budget", "financing", "intent"] {
        assert!(html.contains(&format!("data-field=\"{field}\"")), "no {field}: {html}");
    }
    assert!(html.contains("data-draft"), "the draft is shown");
    for action in ["approve", "edit", "discard"] {
        assert!(html.contains(&format!("data-action=\"{action}\"")), "{action}");
    }
    assert!(html.contains("Toyota Corolla 2022"));
    assert!(html.contains("in stock"), "stock per interest: {html}");
    assert!(html.contains("+52 ••• 5678"), "the phone is masked");
    assert!(!html.contains(WA), "the full number is not in the page");
    assert!(!html.contains("<img src=x"), "markup is never markup: {html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;Hola&lt;&#x2f;b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>") && html.contains("/panel/acme/panel.js"));
    // The script it loads is served, as a script.
    let js = app.panel("/panel/acme/panel.js").await;
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(js.text().await.unwrap().contains("chatwoot-dashboard-app:fetch-info"));
    // Without a contact: the page waits for the host's appContext.
    let html = app
        .panel(&format!("/panel/acme?key={PANEL_KEY}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-empty=\"waiting\""));
}

/// Reads SSE frames until `event: <name>` or the deadline.
async fn next_event(stream: &mut reqwest::Response, buf: &mut String, name: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if let Some(i) = buf.find(&format!("event: {name}\n")) {
            buf.drain(..i + name.len() + 8);
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.chunk()).await {
            Ok(Ok(Some(chunk))) => buf.push_str(&String::from_utf8_lossy(&chunk)),
            _ => return false,
        }
    }
}

#[tokio::test]
async fn an_open_panel_hears_of_a_new_message_within_a_second() {
    let app = spawn_cw_app(true, &[HOST]).await;
    app.post_event(&incoming(1, "wamid.L1", "Hola, ¿tienen el Toyota Corolla 2022?"))
        .await;
    // The app's own worker analyses it.
    let start = Instant::now();
    while dossier::analysis::pipeline::read_profile(&app.state, &acme(), &ContactId::parse(WA).unwrap())
        .await
        .unwrap()
        .and_then(|p| p.updated_at)
        .is_none()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the worker analysed the first message"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = app
        .panel(&format!("/panel/acme/events?key={PANEL_KEY}&contact={WA}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut stream = r;
    let mut buf = String::new();
    assert!(next_event(&mut stream, &mut buf, "ready", Duration::from_secs(2)).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    buf.clear();
    let sent = Instant::now();
    app.post_event(&incoming(2, "wamid.L2", "Mi presupuesto es de 25 mil dólares"))
        .await;
    // Every change event is followed by a fetch of the view, as the page does; the budget must
    // be on it within a second of the webhook.
    let deadline = sent + Duration::from_secs(1);
    let mut html = String::new();
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        if !next_event(&mut stream, &mut buf, "change", left).await {
            break;
        }
        html = app
            .panel(&format!("/panel/acme/view?key={PANEL_KEY}&contact={WA}"))
            .await
            .text()
            .await
            .unwrap();
        if html.contains("data-field=\"budget\"") {
            break;
        }
    }
    eprintln!("live update after {:?}", sent.elapsed());
    assert!(
        html.contains("data-field=\"budget\""),
        "the budget within 1 s of the webhook: {html}"
    );
}

#[tokio::test]
async fn a_panel_on_one_instance_hears_of_a_write_on_another() {
    // Instance A serves the panel with its worker off; instance B takes the webhook and its
    // worker writes the profile: the notice crosses through Redis pub/sub.
    let a = spawn_cw_app(false, &[HOST]).await;
    let b = a.peer().await;
    b.post_event(&incoming(1, "wamid.P1", "Hola, ¿tienen el Toyota Corolla 2022?"))
        .await;
    b.drain_jobs().await;
    let mut r = a
        .panel(&format!("/panel/acme/events?key={PANEL_KEY}&contact={WA}"))
        .await;
    assert_eq!(r.status(), 200);
    let mut buf = String::new();
    assert!(next_event(&mut r, &mut buf, "ready", Duration::from_secs(2)).await);
    // The relay subscribes at start; give it a moment on a loaded machine.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    b.post_event(&incoming(2, "wamid.P2", "Mi presupuesto es de 25 mil dólares"))
        .await;
    b.drain_jobs().await;
    assert!(
        next_event(&mut r, &mut buf, "change", Duration::from_secs(1)).await,
        "instance A's panel heard instance B's write: {buf}"
    );
    eprintln!("cross-instance update after {:?}", sent.elapsed());
}

#[tokio::test]
async fn approve_edit_and_discard_are_the_copilots_own() {
    let app = spawn_cw_app(false, &[HOST]).await;
    app.post_event(&incoming(1, "wamid.A1", "Hola, ¿tienen el Toyota Corolla 2022?"))
        .await;
    app.drain_jobs().await;
    let seq = app.draft_seq().await;
    // A stale seq does nothing.
    let r = app
        .action("approve", json!({ "contact": WA, "seq": seq + 7 }), PANEL_KEY)
        .await;
    assert_eq!(r.status(), 200);
    assert!(app.graph.received_requests().await.unwrap().is_empty());
    // Edit = approve with the agent's text.
    let r = app
        .action(
            "approve",
            json!({ "contact": WA, "seq": seq, "text": "Sí, <b>dos</b> Corolla 2022 en stock.", "agent": "Diego" }),
            PANEL_KEY,
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-status=\"sent\""), "{html}");
    assert!(html.contains("Sent by Diego (panel)."), "{html}");
    let sent = app.graph.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(body["text"]["body"], "Sí, <b>dos</b> Corolla 2022 en stock.");
    // A second click on the sent draft sends nothing.
    app.action("approve", json!({ "contact": WA, "seq": seq }), PANEL_KEY)
        .await;
    assert_eq!(app.graph.received_requests().await.unwrap().len(), 1);
    // A new message, a new draft; discard it.
    app.post_event(&incoming(2, "wamid.A2", "¿Y en qué colores?")).await;
    app.drain_jobs().await;
    let seq2 = app.draft_seq().await;
    assert!(seq2 > seq);
    let html = app
        .action("discard", json!({ "contact": WA, "seq": seq2 }), PANEL_KEY)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-status=\"discarded\""), "{html}");
    assert_eq!(app.graph.received_requests().await.unwrap().len(), 1);
    // Bad input: a clear error, never a panic.
    let r = app
        .action("explode", json!({ "contact": WA, "seq": 1 }), PANEL_KEY)
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .action("approve", json!({ "contact": "nobody", "seq": 1 }), PANEL_KEY)
        .await;
    assert_eq!(r.status(), 404);
    let r = app.action("approve", json!({ "seq": "x" }), PANEL_KEY).await;
    assert_eq!(r.status(), 422);
}

/// While another responder (Meta's agent) handles the conversation, the panel says who, offers
/// only "Take over and send", refuses a plain approve, and sends on the explicit take-over.
#[tokio::test]
async fn the_panel_never_takes_a_thread_silently() {
    let app = spawn_cw_app(false, &[HOST]).await;
    app.post_event(&incoming(1, "wamid.T1", "Hola, ¿tienen el Toyota Corolla 2022?"))
        .await;
    app.drain_jobs().await;
    let seq = app.draft_seq().await;
    let contact = ContactId::parse(WA).unwrap();
    dossier::copilot::thread::on_standby(&app.state, &acme(), &contact, jiff::Timestamp::now(), "1234567890")
        .await
        .unwrap();
    let html = app
        .panel(&format!("/panel/acme/view?key={PANEL_KEY}&contact={WA}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-field=\"handled_by\""), "{html}");
    assert!(html.contains("data-action=\"takeover\""), "{html}");
    assert!(!html.contains("data-action=\"approve\""), "{html}");
    assert!(html.contains("Sending takes it over"), "{html}");

    let r = app
        .action("approve", json!({ "contact": WA, "seq": seq }), PANEL_KEY)
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-status=\"pending\""), "{html}");
    assert!(
        app.graph.received_requests().await.unwrap().is_empty(),
        "a plain approve sends nothing"
    );

    // Another company's key can neither take the thread over nor hand it back.
    for action in ["takeover", "handback"] {
        let r = app
            .action(action, json!({ "contact": WA, "seq": seq }), OTHER_PANEL_KEY)
            .await;
        assert_eq!(r.status(), 403, "{action}");
    }
    assert!(app.graph.received_requests().await.unwrap().is_empty());
    let r = app
        .action(
            "takeover",
            json!({ "contact": WA, "seq": seq, "agent": "Diego" }),
            PANEL_KEY,
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-status=\"sent\""), "{html}");
    assert_eq!(app.graph.received_requests().await.unwrap().len(), 1);
    assert!(
        html.contains("data-action=\"handback\""),
        "hand back is offered after a take-over: {html}"
    );
    // A replayed take-over sends nothing more.
    app.action("takeover", json!({ "contact": WA, "seq": seq }), PANEL_KEY)
        .await;
    assert_eq!(app.graph.received_requests().await.unwrap().len(), 1);
}
