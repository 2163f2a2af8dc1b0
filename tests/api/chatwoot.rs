//! Chatwoot as an inbox against real Redis: every documented event, signatures, replay, routing,
//! private notes, the shared `wamid` dedupe with the Cloud API webhook, and write-back to a local
//! fake of Chatwoot's API. Also the app these tests and the panel's share ([`spawn_cw_app`]).

use crate::helpers::*;
use dossier::channels::chatwoot::signature::sign;
use dossier::config::{Secrets, Settings};
use dossier::startup::{Application, build_state};
use dossier::state::AppState;
use dossier::store::Store;
use dossier_core::{CompanyId, ContactId};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const CW_SECRET: &str = "cw-webhook-secret-acme";
pub const OTHER_CW_SECRET: &str = "cw-webhook-secret-other";
pub const CW_TOKEN: &str = "cw-api-token-acme";
pub const PANEL_KEY: &str = "acme-panel-key-0123456789";
pub const OTHER_PANEL_KEY: &str = "other-panel-key-9876543210";
pub const ACCOUNT: u64 = 7;
pub const INBOX: u64 = 41;
/// The fixtures' contact (`+5215512345678`).
pub const WA: &str = "5215512345678";
pub const PNID: &str = ACME_PNIDS[0];

/// What the fake Chatwoot API received: (method, path, `api_access_token`, JSON body).
pub type Received = Arc<Mutex<Vec<(String, String, String, Value)>>>;

#[allow(dead_code)] // some fields are used by some test modules only
pub struct CwApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub graph: MockServer,
    pub chatwoot_url: String,
    pub chatwoot: Received,
    pub config_dir: std::path::PathBuf,
    pub prefix: String,
    shutdown: CancellationToken,
}

impl Drop for CwApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A fake of Chatwoot's contact API on port 0 (`PUT /api/v1/accounts/{a}/contacts/{c}`).
async fn fake_chatwoot() -> (String, Received) {
    use axum::extract::{Path, State};
    use axum::http::HeaderMap;
    let received: Received = Arc::default();
    let app =
        axum::Router::new()
            .route(
                "/api/v1/accounts/{account}/contacts/{contact}",
                axum::routing::put(
                    |State(r): State<Received>,
                     Path((a, c)): Path<(u64, u64)>,
                     h: HeaderMap,
                     body: axum::Json<Value>| async move {
                        let token = h
                            .get("api_access_token")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        r.lock().unwrap().push((
                            "PUT".into(),
                            format!("/api/v1/accounts/{a}/contacts/{c}"),
                            token,
                            body.0.clone(),
                        ));
                        axum::Json(json!({ "payload": { "id": c, "custom_attributes": body.0["custom_attributes"] } }))
                    },
                ),
            )
            .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

pub async fn mock_graph(graph: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": format!("+{WA}"), "wa_id": WA }],
            "messages": [{ "id": "wamid.PANEL.SENT1" }],
        })))
        .mount(graph)
        .await;
}

/// The service with `acme` on Chatwoot account 7 / inbox 41 (write-back on), a panel key for
/// `acme` and one for `other`, the Graph API faked, and the worker running when `worker`.
pub async fn spawn_cw_app(worker: bool, frame_ancestors: &[&str]) -> CwApp {
    let graph = MockServer::start().await;
    mock_graph(&graph).await;
    let (chatwoot_url, chatwoot) = fake_chatwoot().await;
    let service = format!(
        "[whatsapp]\ngraph_base_url = \"{}\"\napi_version = \"v25.0\"\ndedupe_ttl_secs = 691200\n{}",
        graph.uri(),
        if worker {
            "[worker]\nenabled = true\nblock_ms = 50\nsweep_secs = 3600\n"
        } else {
            "[worker]\nenabled = false\n"
        }
    );
    let ancestors = frame_ancestors
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let acme = format!(
        "[chatwoot]\naccount_id = {ACCOUNT}\ninbox_ids = [{INBOX}]\nwebhook_secret_env = \"ACME_CHATWOOT_SECRET\"\n\
         api_base_url = \"{chatwoot_url}\"\napi_token_env = \"ACME_CHATWOOT_TOKEN\"\nwrite_back = true\n\
         [panel]\nkey_env = \"ACME_PANEL_KEY\"\nframe_ancestors = [{ancestors}]\n"
    );
    let dir = test_config_dir_with(&service, &acme);
    std::fs::write(
        dir.join("companies/other.toml"),
        format!(
            "id = \"other\"\nname = \"Other Cars\"\n[whatsapp]\nphone_number_ids = [\"{OTHER_PNID}\"]\n\
             [chatwoot]\naccount_id = 99\ninbox_ids = [5]\nwebhook_secret_env = \"OTHER_CHATWOOT_SECRET\"\n\
             [panel]\nkey_env = \"OTHER_PANEL_KEY\"\n"
        ),
    )
    .unwrap();
    start(dir, unique_prefix(), graph, chatwoot_url, chatwoot).await
}

fn secrets() -> Secrets {
    Secrets::explicit(
        [
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
            ("WHATSAPP_ACCESS_TOKEN", "graph-test-token"),
            ("WHATSAPP_RETRY_CAP_MS", "10"),
            ("ACME_API_TOKEN", ACME_TOKEN),
            ("ACME_CHATWOOT_SECRET", CW_SECRET),
            ("OTHER_CHATWOOT_SECRET", OTHER_CW_SECRET),
            ("ACME_CHATWOOT_TOKEN", CW_TOKEN),
            ("ACME_PANEL_KEY", PANEL_KEY),
            ("OTHER_PANEL_KEY", OTHER_PANEL_KEY),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    )
}

async fn start(
    dir: std::path::PathBuf,
    prefix: String,
    graph: MockServer,
    chatwoot_url: String,
    chatwoot: Received,
) -> CwApp {
    let settings = Settings::load(&dir).expect("test configuration is valid");
    let store = open_backend(Backend::Redis, &settings, &prefix).await;
    let state = build_state(settings, secrets(), store.clone()).await.unwrap();
    let app = Application::build(state.clone()).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    CwApp {
        address,
        client: reqwest::Client::new(),
        state,
        store,
        graph,
        chatwoot_url,
        chatwoot,
        config_dir: dir,
        prefix,
        shutdown,
    }
}

impl CwApp {
    /// Another instance of the same deployment (same configuration and Redis prefix; its own
    /// listener, worker, store connections and live hub).
    pub async fn peer(&self) -> CwApp {
        let graph = MockServer::start().await;
        mock_graph(&graph).await;
        start(
            self.config_dir.clone(),
            self.prefix.clone(),
            graph,
            self.chatwoot_url.clone(),
            self.chatwoot.clone(),
        )
        .await
    }
}

/// A fixture by file name, with its message timestamps set to now (the 24-hour window).
pub fn fixture(name: &str) -> Value {
    let bytes = std::fs::read(repo_path(&format!("tests/fixtures/chatwoot/{name}"))).unwrap();
    let mut v: Value = serde_json::from_slice(&bytes).unwrap();
    if v.get("created_at").is_some_and(Value::is_string) {
        v["created_at"] = json!(jiff::Timestamp::now().to_string());
    }
    v
}

pub fn chatwoot_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo_path("tests/fixtures/chatwoot"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    v.sort();
    v
}

/// An incoming customer message event with this id, `wamid` and text.
pub fn incoming(id: u64, wamid: &str, text: &str) -> Value {
    let mut v = fixture("message_created.json");
    v["id"] = json!(id);
    v["source_id"] = json!(wamid);
    v["content"] = json!(text);
    v
}

impl CwApp {
    /// Posts `body` as Chatwoot does: signed at `ts` with `secret`, with a delivery id.
    pub async fn post_signed(&self, body: &[u8], secret: &str, ts: i64, delivery: Option<&str>) -> reqwest::Response {
        let ts = ts.to_string();
        let mut r = self
            .client
            .post(format!("{}/webhooks/chatwoot", self.address))
            .header("content-type", "application/json")
            .header("x-chatwoot-timestamp", &ts)
            .header("x-chatwoot-signature", sign(secret.as_bytes(), &ts, body));
        if let Some(d) = delivery {
            r = r.header("x-chatwoot-delivery", d);
        }
        r.body(body.to_vec()).send().await.unwrap()
    }

    pub async fn post_event(&self, v: &Value) -> reqwest::Response {
        let delivery = uuid::Uuid::new_v4().to_string();
        self.post_signed(
            &serde_json::to_vec(v).unwrap(),
            CW_SECRET,
            jiff::Timestamp::now().as_second(),
            Some(&delivery),
        )
        .await
    }

    pub async fn messages(&self) -> Vec<dossier_core::Message> {
        self.store
            .messages(&acme(), &ContactId::parse(WA).unwrap(), 1000, None)
            .await
            .unwrap()
    }

    /// Runs queued jobs through the worker's handler (when the app's own worker is off).
    pub async fn drain_jobs(&self) {
        loop {
            let mut ran = 0;
            for q in dossier::store::Queue::ALL {
                for d in self.store.read_jobs(q, "test-worker", 50, 0).await.unwrap() {
                    dossier::jobs::worker::handle(&self.state, d).await;
                    ran += 1;
                }
            }
            if ran == 0 {
                return;
            }
        }
    }
}

pub fn acme() -> CompanyId {
    CompanyId::parse("acme").unwrap()
}

async fn status_of(r: reqwest::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_documented_event_is_accepted_and_only_conversation_is_stored() {
    let app = spawn_cw_app(false, &[]).await;
    let names = chatwoot_fixtures();
    assert!(names.len() >= 12, "a fixture per event of field-2026.md 2.2: {names:?}");
    for n in &names {
        let (status, body) = status_of(app.post_event(&fixture(n)).await).await;
        assert_eq!(status, 200, "{n}: {body}");
        let expected = match n.as_str() {
            "message_created.json" | "message_created_outgoing.json" => "stored",
            // The same wamid as message_created.json: an edit is not a new message.
            _ => "ignored",
        };
        assert_eq!(body["status"], expected, "{n}: {body}");
    }
    let msgs = app.messages().await;
    assert_eq!(msgs.len(), 2, "incoming and outgoing only: {msgs:?}");
    let inbound = msgs.iter().find(|m| m.is_inbound()).unwrap();
    assert!(inbound.id.as_str().starts_with("wamid."), "keyed by source_id");
    assert!(inbound.text().contains("Corolla"));
    let outbound = msgs.iter().find(|m| !m.is_inbound()).unwrap();
    assert!(outbound.text().contains("prueba de manejo"));
    assert!(
        msgs.iter().all(|m| !m.text().contains("Nota interna")),
        "a private note is never conversation"
    );
    let record = app
        .store
        .contact(&acme(), &ContactId::parse(WA).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.profile_name.as_deref(), Some("Carla Ruiz"));
    assert_eq!(record.messages_in, 1);
}

#[tokio::test]
async fn a_message_from_both_webhooks_is_stored_once() {
    let app = spawn_cw_app(false, &[]).await;
    let wamid = "wamid.HBgNBOTHWAYS0001";
    let now = jiff::Timestamp::now().as_second();
    // The Cloud API webhook first, then Chatwoot's copy of the same message.
    let env = texts_envelope(PNID, WA, &[(wamid, now, "¿Cuánto cuesta el Corolla?")]);
    let r = app
        .client
        .post(format!("{}/webhooks/whatsapp", app.address))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            dossier::channels::whatsapp::signature::sign(APP_SECRET.as_bytes(), &serde_json::to_vec(&env).unwrap()),
        )
        .body(serde_json::to_vec(&env).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (s, body) = status_of(
        app.post_event(&incoming(777, wamid, "¿Cuánto cuesta el Corolla?"))
            .await,
    )
    .await;
    assert_eq!((s, body["status"].as_str()), (200, Some("duplicate")), "{body}");
    assert_eq!(app.messages().await.len(), 1);
}

#[tokio::test]
async fn bad_signatures_stale_timestamps_and_replays_are_refused() {
    let app = spawn_cw_app(false, &[]).await;
    let body = serde_json::to_vec(&incoming(1, "wamid.SIG1", "hola")).unwrap();
    let now = jiff::Timestamp::now().as_second();
    // Wrong secret, and a body changed after signing.
    assert_eq!(app.post_signed(&body, "not-the-secret", now, None).await.status(), 401);
    let ts = now.to_string();
    let sig = sign(CW_SECRET.as_bytes(), &ts, &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let r = app
        .client
        .post(format!("{}/webhooks/chatwoot", app.address))
        .header("x-chatwoot-timestamp", &ts)
        .header("x-chatwoot-signature", sig)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // No signature at all.
    let r = app
        .client
        .post(format!("{}/webhooks/chatwoot", app.address))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Validly signed, but ten minutes old (or from the future).
    assert_eq!(app.post_signed(&body, CW_SECRET, now - 600, None).await.status(), 401);
    assert_eq!(app.post_signed(&body, CW_SECRET, now + 600, None).await.status(), 401);
    assert!(app.messages().await.is_empty());
    // Replay: the same delivery twice is stored once and answered `duplicate`.
    let (s1, b1) = status_of(
        app.post_signed(&body, CW_SECRET, now, Some("5f1b7c2e-0000-4000-8000-000000000001"))
            .await,
    )
    .await;
    let (s2, b2) = status_of(
        app.post_signed(&body, CW_SECRET, now, Some("5f1b7c2e-0000-4000-8000-000000000001"))
            .await,
    )
    .await;
    assert_eq!((s1, b1["status"].as_str()), (200, Some("stored")));
    assert_eq!((s2, b2["status"].as_str()), (200, Some("duplicate")));
    assert_eq!(app.messages().await.len(), 1);
}

#[tokio::test]
async fn malformed_oversized_and_misrouted_bodies_get_clear_errors() {
    let app = spawn_cw_app(false, &[]).await;
    let now = jiff::Timestamp::now().as_second();
    let r = app.post_signed(b"{not json", CW_SECRET, now, None).await;
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "bad_request");
    let r = app.post_signed(b"[1,2,3]", CW_SECRET, now, None).await;
    assert_eq!(r.status(), 400);
    let big = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(app.post_signed(&big, CW_SECRET, now, None).await.status(), 413);
    // An inbox of the account that is not mapped to a company: acknowledged, not stored.
    let mut v = incoming(2, "wamid.UNMAPPED", "hola");
    v["inbox"]["id"] = json!(999);
    v["conversation"]["inbox_id"] = json!(999);
    let (s, b) = status_of(app.post_event(&v).await).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ignored")), "{b}");
    // Another account under acme's secret: refused.
    let mut v = incoming(3, "wamid.WRONGACCOUNT", "hola");
    v["account"]["id"] = json!(12345);
    assert_eq!(app.post_event(&v).await.status(), 403);
    // Company other's inbox signed with acme's secret: refused, nothing written for either.
    let mut v = incoming(4, "wamid.OTHERS", "hola");
    v["account"]["id"] = json!(99);
    assert_eq!(app.post_event(&v).await.status(), 403);
    // Other's inbox number in acme's account is just an unmapped inbox of acme's account.
    let mut v = incoming(5, "wamid.OTHERS2", "hola");
    v["inbox"]["id"] = json!(5);
    v["conversation"]["inbox_id"] = json!(5);
    let (s, b) = status_of(app.post_event(&v).await).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ignored")), "{b}");
    // A delivery header that is not an id.
    let body = serde_json::to_vec(&incoming(6, "wamid.D", "hola")).unwrap();
    assert_eq!(app.post_signed(&body, CW_SECRET, now, Some("x y")).await.status(), 400);
    assert!(app.messages().await.is_empty());
}

#[tokio::test]
async fn a_private_note_never_becomes_customer_text() {
    let app = spawn_cw_app(false, &[]).await;
    let mut note = fixture("message_created_private.json");
    // Even when it is marked incoming.
    note["message_type"] = json!("incoming");
    note["source_id"] = json!("wamid.NOTE");
    let (s, b) = status_of(app.post_event(&note).await).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ignored")));
    assert!(app.messages().await.is_empty());
}

#[tokio::test]
async fn write_back_puts_stage_intent_and_vehicle_on_the_chatwoot_contact_after_analysis() {
    let app = spawn_cw_app(false, &[]).await;
    let r = app
        .post_event(&incoming(
            11,
            "wamid.WB1",
            "Hola, quiero financiar el Toyota Corolla 2022, ¿qué tasa tienen?",
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        app.chatwoot.lock().unwrap().is_empty(),
        "nothing written on the webhook path"
    );
    app.drain_jobs().await;
    let got = app.chatwoot.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let (m, path, token, body) = &got[0];
    assert_eq!((m.as_str(), path.as_str()), ("PUT", "/api/v1/accounts/7/contacts/3051"));
    assert_eq!(token, CW_TOKEN);
    let attrs = &body["custom_attributes"];
    assert!(attrs["dossier_stage"].is_string(), "{body}");
    assert_eq!(attrs["dossier_intent"], "financing", "{body}");
    assert!(attrs["dossier_vehicle"].as_str().unwrap().contains("Corolla"), "{body}");
    // Unchanged profile: not written again.
    let profile = dossier::analysis::pipeline::read_profile(&app.state, &acme(), &ContactId::parse(WA).unwrap())
        .await
        .unwrap()
        .unwrap();
    let again =
        dossier::channels::chatwoot::client::write_back(&app.state, &acme(), &ContactId::parse(WA).unwrap(), &profile)
            .await
            .unwrap();
    assert!(!again);
    assert_eq!(app.chatwoot.lock().unwrap().len(), 1);
}
