//! The panel in a real browser: headless Chromium through chromedriver (WebDriver, spoken with
//! reqwest). A host page on another origin embeds the panel in an iframe exactly as Chatwoot's
//! Dashboard App does — it posts `appContext` as a JSON string on the frame's `load` and answers
//! `chatwoot-dashboard-app:fetch-info` — and the test checks what an agent would: the fields
//! match the profile, a customer's markup renders as text (and runs nothing), a new webhook
//! updates the open panel by itself, and Approve sends through the Graph API fake. It saves
//! screenshots of the sidebar and wide layouts (to `docs/screenshots/` with
//! `PANEL_SAVE_SCREENSHOTS=1`).
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without them the test fails under CI (`CI` or
//! `PANEL_BROWSER_TEST=required`, which `.ci/run` sets) and says it skipped otherwise.

use crate::chatwoot::*;
use base64::Engine;
use dossier_core::ContactId;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_binary(names: &[&str]) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    for n in names {
        for dir in path.split(':') {
            let p = std::path::Path::new(dir).join(n);
            if p.is_file() {
                return Some(p.display().to_string());
            }
        }
    }
    None
}

fn required() -> bool {
    std::env::var("CI").is_ok() || std::env::var("PANEL_BROWSER_TEST").is_ok_and(|v| v == "required")
}

struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
    child: std::process::Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromium: &str, chromedriver: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "chromedriver did not come up"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,900", "--force-device-scale-factor=1", "--lang=en-US"] } } } });
        let v: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {v}"))
            .to_owned();
        Driver {
            http,
            base,
            session,
            child,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut r = self.http.request(method, url);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let v: Value = r.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("WebDriver {path}: {v}");
        }
        v["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.cmd(reqwest::Method::POST, path, Some(body)).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    async fn js(&self, script: &str) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": [] }))
            .await
    }

    /// Polls `script` until it returns something truthy.
    async fn until(&self, script: &str, within: Duration) -> Value {
        let start = Instant::now();
        loop {
            let v = self.js(script).await;
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            assert!(start.elapsed() < within, "timed out waiting for: {script}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    async fn enter_frame(&self, css: &str) {
        let el = self.element(css).await;
        self.post("/frame", json!({ "id": { ELEMENT: el } })).await;
    }

    async fn top(&self) {
        self.post("/frame", json!({ "id": null })).await;
    }

    async fn window(&self, w: u32, h: u32) {
        self.post("/window/rect", json!({ "width": w, "height": h })).await;
    }

    async fn screenshot(&self, element: Option<&str>) -> Vec<u8> {
        let path = match element {
            Some(el) => format!("/element/{el}/screenshot"),
            None => "/screenshot".to_owned(),
        };
        let v = self.cmd(reqwest::Method::GET, &path, None).await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

/// A page on its own origin that hosts the panel the way Chatwoot's `Frame.vue` does.
async fn host_page(panel_url: Arc<OnceLock<String>>) -> String {
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let url = panel_url.get().cloned().unwrap_or_default();
            async move { axum::response::Html(HOST_PAGE.replace("PANEL_URL", &url)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    origin
}

const HOST_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Chatwoot (test host)</title>
<style>body{margin:0;font-family:sans-serif;display:flex;background:#eef1f5}
.conv{flex:1;padding:16px;color:#445}.side{width:400px;border-left:1px solid #ccd;background:#fff}
iframe{border:0;width:400px;height:900px;display:block}</style></head>
<body><div class="conv"><h3>Carla Ruiz</h3><p>Conversation #219 · WhatsApp Ventas</p></div>
<div class="side"><iframe id="dashboard-app--frame-0-0" src="PANEL_URL"></iframe></div>
<script>
var ctx = { event: "appContext", data: {
  conversation: { id: 219, inbox_id: 41, status: "open", labels: ["lead"],
    meta: { sender: { id: 3051, name: "Carla Ruiz", phone_number: "+5215512345678", identifier: null } },
    contact_inbox: { id: 8800, contact_id: 3051, inbox_id: 41, source_id: "5215512345678" } },
  contact: { id: 3051, name: "Carla Ruiz", phone_number: "+5215512345678", identifier: null },
  currentAgent: { id: 12, name: "Diego", email: "diego@acme.example" } } };
var frame = document.getElementById("dashboard-app--frame-0-0");
window.fetchInfo = 0;
frame.addEventListener("load", function () { frame.contentWindow.postMessage(JSON.stringify(ctx), "*"); });
// The agent opens another conversation: the host answers the next fetch-info with it.
window.switchTo = function (phone, name) {
  ctx.data.contact = { id: 4000, name: name, phone_number: phone, identifier: null };
  ctx.data.conversation.meta.sender = ctx.data.contact;
  ctx.data.conversation.contact_inbox.source_id = phone.replace("+", "");
  frame.contentWindow.postMessage(JSON.stringify(ctx), "*");
};
window.addEventListener("message", function (e) {
  if (typeof e.data === "string" && e.data === "chatwoot-dashboard-app:fetch-info") {
    window.fetchInfo++;
    frame.contentWindow.postMessage(JSON.stringify(ctx), "*");
  }
});
</script></body></html>"#;

fn save(name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let dir = if std::env::var("PANEL_SAVE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        crate::helpers::repo_path("docs/screenshots")
    } else {
        std::env::temp_dir().join("dossier-screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
    eprintln!("screenshot: {}", dir.join(name).display());
}

#[tokio::test]
async fn the_panel_in_a_real_browser_inside_a_chatwoot_like_host() {
    let (Some(chromium), Some(chromedriver)) = (
        find_binary(&["chromium", "chromium-browser", "google-chrome"]),
        find_binary(&["chromedriver"]),
    ) else {
        assert!(
            !required(),
            "chromium and chromedriver must be installed here (apt-get install chromium chromium-driver; .ci/run does)"
        );
        eprintln!("SKIPPED: no chromium/chromedriver on PATH (CI installs them and fails without them)");
        return;
    };
    let panel_url = Arc::new(OnceLock::new());
    let host = host_page(panel_url.clone()).await;
    let app = spawn_cw_app(true, &[&host]).await;
    panel_url
        .set(format!("{}/panel/acme?key={PANEL_KEY}", app.address))
        .unwrap();

    // A customer writes, with markup in the message; the app's own worker analyses it.
    let markup = r#"<img src=x onerror="window.__pwned=1"><b>Hola</b>, quiero financiar el Toyota Corolla 2022"#;
    assert_eq!(app.post_event(&incoming(1, "wamid.BR1", markup)).await.status(), 200);
    let contact = ContactId::parse(WA).unwrap();
    let start = Instant::now();
    let (profile, first_seq) = loop {
        let d = dossier::copilot::drafts::load(&app.state, &acme(), &contact)
            .await
            .unwrap();
        if let Some((_, d)) = d {
            let p = dossier::analysis::pipeline::read_profile(&app.state, &acme(), &contact)
                .await
                .unwrap()
                .unwrap();
            break (p, d.seq);
        }
        assert!(start.elapsed() < Duration::from_secs(10), "analysed and drafted");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };

    let driver = Driver::start(&chromium, &chromedriver).await;
    driver.goto(&format!("{host}/")).await;
    driver.enter_frame("iframe").await;
    // The contact came from the host's appContext (the URL has none).
    let name = driver
        .until(
            "var e=document.querySelector('[data-field=name]');return e&&e.textContent",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(name, json!("Carla Ruiz"));
    let stage = driver
        .js("return document.querySelector('[data-field=stage]').textContent")
        .await;
    assert_eq!(
        stage,
        json!(dossier::copilot::card::human(&profile.stage.as_ref().unwrap().value))
    );
    let intent = driver
        .js("return document.querySelector('[data-field=intent] dd').textContent")
        .await;
    assert_eq!(
        intent,
        json!(dossier::copilot::card::human(&profile.intent.as_ref().unwrap().value))
    );
    let interest = driver
        .js("return document.querySelector('[data-field=interests] strong').textContent")
        .await;
    assert_eq!(interest, json!(profile.leading_interest().unwrap().item));
    let phone = driver
        .js("return document.querySelector('[data-field=phone]').textContent")
        .await;
    assert_eq!(phone, json!("+52 ••• 5678"));
    // Markup is text: no element made of it, nothing ran, the words shown as written.
    let xss = driver
        .js("return [document.querySelectorAll('[data-evidence] img, [data-evidence] b').length, \
             typeof window.__pwned, Array.from(document.querySelectorAll('[data-evidence]')).some(function(q){return q.textContent.indexOf('<b>Hola</b>')>=0})]")
        .await;
    assert_eq!(xss, json!([0, "undefined", true]));
    // Evidence on demand.
    let open = driver
        .js("var d=document.querySelector('[data-field=intent] details');var before=d.open;d.querySelector('summary').click();return [before,d.open]")
        .await;
    assert_eq!(open, json!([false, true]));
    driver
        .until(
            "return document.getElementById('dossier').dataset.live==='on'",
            Duration::from_secs(10),
        )
        .await;
    let no_budget = driver.js("return !document.querySelector('[data-field=budget]')").await;
    assert_eq!(no_budget, json!(true));

    // Sidebar screenshot: the iframe as Chatwoot shows it.
    driver.top().await;
    let frame = driver.element("iframe").await;
    save("panel-sidebar.png", &driver.screenshot(Some(&frame)).await);
    driver.enter_frame("iframe").await;

    // A new message arrives through the webhook: the open panel updates by itself.
    let sent = Instant::now();
    app.post_event(&incoming(
        2,
        "wamid.BR2",
        "Mi presupuesto es de 25 mil dólares, a 48 meses",
    ))
    .await;
    let budget = driver
        .until(
            "var e=document.querySelector('[data-field=budget] dd');return e&&e.textContent",
            Duration::from_secs(10),
        )
        .await;
    eprintln!("browser: live update after {:?}", sent.elapsed());
    assert_eq!(budget, json!("25,000 USD"));

    // The new message made a new draft (superseding the first): the panel shows it by itself.
    let start = Instant::now();
    let seq = loop {
        let d = dossier::copilot::drafts::load(&app.state, &acme(), &contact)
            .await
            .unwrap();
        if let Some((_, d)) = d
            && d.seq > first_seq
        {
            break d.seq;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "a second draft");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    // Approve sends (the Graph API fake) and the panel shows it sent.
    driver
        .until(
            &format!(
                "var d=document.querySelector('[data-draft]');return d&&d.dataset.seq==='{seq}'&&d.dataset.status==='pending'&&d.querySelector('[data-action=approve]')"
            ),
            Duration::from_secs(10),
        )
        .await;
    let before = app.graph.received_requests().await.unwrap().len();
    driver
        .js("document.querySelector('[data-action=approve]').click();return true")
        .await;
    driver
        .until(
            "var d=document.querySelector('[data-draft]');return d&&d.dataset.status==='sent'",
            Duration::from_secs(10),
        )
        .await;
    let sent_requests = app.graph.received_requests().await.unwrap();
    assert_eq!(sent_requests.len(), before + 1, "Approve sent one message");
    let body: Value = serde_json::from_slice(&sent_requests.last().unwrap().body).unwrap();
    assert_eq!(body["to"], format!("+{WA}"));
    let note = driver
        .js("return document.querySelector('[data-draft-note]').textContent")
        .await;
    assert_eq!(note, json!("Sent by Diego (panel)."), "the agent from appContext");

    // The agent switches conversation: the panel follows the host, within the key's company.
    let mut other = incoming(3, "wamid.BR3", "Buenas, ¿el Mazda 3 2021 sigue disponible?");
    let pedro = json!({ "id": 4000, "name": "Pedro Gómez", "phone_number": "+5215599990000", "type": "contact" });
    other["sender"] = pedro.clone();
    other["conversation"]["meta"]["sender"] = pedro;
    other["conversation"]["contact_inbox"]["source_id"] = json!("5215599990000");
    assert_eq!(app.post_event(&other).await.status(), 200);
    driver.top().await;
    driver
        .js("window.switchTo('+5215599990000', 'Pedro Gómez');return true")
        .await;
    driver.enter_frame("iframe").await;
    let name = driver
        .until(
            "var e=document.querySelector('[data-field=name]');return e&&e.textContent==='Pedro Gómez'&&e.textContent",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(name, json!("Pedro Gómez"));
    // A contact this company has never talked to shows nothing of anyone.
    driver.top().await;
    driver
        .js("window.switchTo('+447700900123', 'Someone Else');return true")
        .await;
    driver.enter_frame("iframe").await;
    driver
        .until(
            "return document.querySelector('[data-empty=missing]')",
            Duration::from_secs(10),
        )
        .await;
    let leaked = driver.js("return document.body.textContent.indexOf('Pedro')>=0").await;
    assert_eq!(leaked, json!(false));

    // Wide layout: the panel on its own, selected by ?contact=.
    driver.top().await;
    driver.window(1280, 900).await;
    driver
        .goto(&format!("{}/panel/acme?key={PANEL_KEY}&contact=%2B{WA}", app.address))
        .await;
    driver
        .until(
            "return document.querySelector('[data-field=budget]')",
            Duration::from_secs(10),
        )
        .await;
    driver
        .js("document.querySelectorAll('details').forEach(function(d,i){if(i<2)d.open=true});return true")
        .await;
    save("panel-wide.png", &driver.screenshot(None).await);
    driver.quit().await;
}
