//! Slack copilot end to end on loopback: fake Slack Web API, `response_url` and Graph API
//! (wiremock), the real service on port 0 with the embedded store.
//!
//! Self-contained setup (`spawn_chat_app`): its own company file with a Slack section and a
//! WhatsApp template, and its own secrets (signing secret, bot token, Graph token).

use dossier::channels::slack::signature::{sign, unix_now};
use dossier::config::{Secrets, Settings};
use dossier::copilot;
use dossier::startup::{Application, build_state};
use dossier::state::AppState;
use dossier::store::{ContactUpdate, SnapshotRequest};
use dossier_core::profile::{Fact, Interest};
use dossier_core::{CompanyId, ContactId, Direction, Message, MessageId, Profile};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const TEAM: &str = "T0ACME";
pub const PNID: &str = "106540352242922";
pub const WA_ID: &str = "5215512345678";
pub const MM_TEAM: &str = "mmteam01";
pub const MM_TOKEN: &str = "mm-test-token";
/// A second company with its own Mattermost team and slash-command token.
pub const BETA_MM_TEAM: &str = "mmteam02";
pub const BETA_MM_TOKEN: &str = "mm-beta-token";
pub const PUBLIC_URL: &str = "https://dossier.example.test";
/// Acme's bearer token for the JSON API.
pub const ACME_API: &str = "acme-chat-api-token";

pub struct ChatApp {
    pub address: String,
    pub http: reqwest::Client,
    pub state: AppState,
    pub slack: MockServer,
    pub graph: MockServer,
    pub company: CompanyId,
    shutdown: CancellationToken,
}

impl Drop for ChatApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn spawn_chat_app() -> ChatApp {
    let slack = MockServer::start().await;
    let graph = MockServer::start().await;
    let dir = std::env::temp_dir().join(format!("dossier-chat-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("companies")).unwrap();
    std::fs::write(
        dir.join("dossier.toml"),
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"{PUBLIC_URL}\"\n[worker]\nenabled = false\n\
             [slack]\napi_base_url = \"{}/api\"\nmax_clock_skew_secs = 300\n\
             [whatsapp]\ngraph_base_url = \"{}\"\napi_version = \"v25.0\"\ndedupe_ttl_secs = 691200\n\
             thread_control_base_url = \"{}/tc\"\n",
            slack.uri(),
            graph.uri(),
            graph.uri()
        ),
    )
    .unwrap();
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog/demo-motors.csv");
    std::fs::write(
        dir.join("companies/acme.toml"),
        format!(
            "id = \"acme\"\nname = \"Acme Motors\"\ncatalog = \"{}\"\napi_token_env = \"ACME_CHAT_API_TOKEN\"\n\
             [whatsapp]\nphone_number_ids = [\"{PNID}\"]\ntemplate = {{ name = \"follow_up_es_en\", language = \"en_US\" }}\n\
             [slack]\nteam_id = \"{TEAM}\"\ndrafts_channel = \"C0DRAFTS\"\nmanagers_channel = \"C0MANAGERS\"\n\
             [mattermost]\nteam_id = \"{MM_TEAM}\"\n\
             [[whatsapp.rates]]\nmarket = \"52\"\ncategory = \"utility\"\nprice = \"0.0085\"\ncurrency = \"USD\"\n\
             [[whatsapp.rates]]\nmarket = \"52\"\ncategory = \"marketing\"\nprice = \"0.0436\"\ncurrency = \"USD\"\n",
            catalog.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("companies/beta.toml"),
        format!(
            "id = \"beta\"\nname = \"Beta Cars\"\n[whatsapp]\nphone_number_ids = [\"999000111\"]\n\
             [mattermost]\nteam_id = \"{BETA_MM_TEAM}\"\ncommand_token_env = \"BETA_MM_TOKEN\"\n"
        ),
    )
    .unwrap();
    let settings = Settings::load(&dir).expect("valid test configuration");
    let secrets = Secrets::explicit(
        [
            ("SLACK_SIGNING_SECRET", SIGNING_SECRET),
            ("SLACK_BOT_TOKEN", "xoxb-test"),
            ("WHATSAPP_ACCESS_TOKEN", "graph-test-token"),
            ("WHATSAPP_RETRY_CAP_MS", "10"),
            ("MATTERMOST_TOKEN", MM_TOKEN),
            ("BETA_MM_TOKEN", BETA_MM_TOKEN),
            ("ACME_CHAT_API_TOKEN", ACME_API),
            ("WHATSAPP_APP_SECRET", crate::helpers::APP_SECRET),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    // Real Redis, a key prefix of its own.
    let store = crate::helpers::open_backend(
        crate::helpers::Backend::Redis,
        &settings,
        &crate::helpers::unique_prefix(),
    )
    .await;
    let state = build_state(settings, secrets, store).await.unwrap();
    let app = Application::build(state.clone()).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    ChatApp {
        address,
        http: reqwest::Client::new(),
        state,
        slack,
        graph,
        company: CompanyId::parse("acme").unwrap(),
        shutdown,
    }
}

impl ChatApp {
    pub fn contact(&self) -> ContactId {
        ContactId::parse(WA_ID).unwrap()
    }

    /// A customer message `age` ago, and a profile (Spanish, asking about a Corolla).
    pub async fn seed_customer(&self, age: jiff::SignedDuration) {
        let m = Message {
            id: MessageId::parse(format!("wamid.in.{}", uuid::Uuid::new_v4().simple())).unwrap(),
            direction: Direction::In,
            timestamp: jiff::Timestamp::now() - age,
            text: Some("Hola, ¿tienen el Corolla 2022? Lo quiero financiar".into()),
            kind: Some("text".into()),
            status: None,
            detail: None,
        };
        let update = ContactUpdate {
            profile_name: Some("María Souza".into()),
            wa_id: Some(WA_ID.into()),
            user_id: None,
        };
        self.state
            .store
            .append_message(&self.company, &self.contact(), &m, &update)
            .await
            .unwrap();
        let mut p = Profile::empty("acme", Some(WA_ID));
        p.contact.name = Some("María Souza".into());
        p.contact.language = Some("es".into());
        p.intent = Some(Fact {
            value: "availability".into(),
            confidence: 0.9,
            since: None,
            evidence: vec![m.id.clone()],
            source: None,
        });
        p.interests.push(Interest {
            item: "Toyota Corolla 2022".into(),
            make: "Toyota".into(),
            model: "Corolla".into(),
            year: Some(2022),
            trim: None,
            catalog_ref: None,
            mentions: 1,
            last_mentioned: Some(m.timestamp),
            evidence: vec![m.id.clone()],
        });
        // The profile as the worker would have stored it, with a reply due for this message.
        let snap = self
            .state
            .store
            .snapshot(&self.company, &self.contact(), SnapshotRequest::document_only())
            .await
            .unwrap();
        let v = snap.profile.map_or(0, |d| d.version);
        let mut doc = dossier::analysis::doc::ProfileDoc::new(p);
        doc.draft_due = Some(snap.stored);
        self.state
            .store
            .put_profile(
                &self.company,
                &self.contact(),
                v,
                &serde_json::to_vec(&doc).unwrap(),
                snap.stored,
            )
            .await
            .unwrap();
    }

    pub async fn profile(&self) -> Profile {
        dossier::analysis::pipeline::read_profile(&self.state, &self.company, &self.contact())
            .await
            .unwrap()
            .unwrap()
    }

    /// Runs the draft job the worker would run for the newest customer message.
    pub async fn draft_job(&self) -> anyhow::Result<()> {
        let snap = self
            .state
            .store
            .snapshot(&self.company, &self.contact(), SnapshotRequest::document_only())
            .await?;
        let rt = self.state.companies.get(self.company.as_str()).unwrap();
        let settings = dossier::analysis::pipeline::effective_settings(&self.state, &self.company).await?;
        copilot::drafts::on_draft_due(&self.state, &rt, &settings, &self.company, &self.contact(), snap.stored).await
    }

    /// POSTs a signed form to a Slack route, signed at `ts`.
    pub async fn signed(&self, route: &str, body: &str, ts: i64) -> reqwest::Response {
        let ts = ts.to_string();
        self.http
            .post(format!("{}{route}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", &ts)
            .header(
                "x-slack-signature",
                sign(SIGNING_SECRET.as_bytes(), &ts, body.as_bytes()),
            )
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn command(&self, text: &str) -> reqwest::Response {
        let body = serde_urlencoded::to_string([
            ("team_id", TEAM),
            ("channel_id", "C0AGENTS"),
            ("user_id", "U0AGENT"),
            ("user_name", "ana"),
            ("command", "/dossier"),
            ("text", text),
            ("response_url", &format!("{}/respond", self.slack.uri())),
            ("trigger_id", "1.2.3"),
        ])
        .unwrap();
        self.signed("/slack/commands", &body, unix_now()).await
    }

    /// A signed `block_actions` click from `team` on a button.
    pub async fn click(&self, team: &str, action_id: &str, value: &str, message_ts: &str) -> reqwest::Response {
        let payload = json!({
            "type": "block_actions",
            "team": { "id": team },
            "user": { "id": "U0AGENT", "team_id": team },
            "container": { "type": "message", "message_ts": message_ts, "channel_id": "C0DRAFTS" },
            "trigger_id": "1.2.3",
            "response_url": format!("{}/respond", self.slack.uri()),
            "actions": [{ "action_id": action_id, "value": value, "type": "button" }],
        });
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        self.signed("/slack/interactions", &body, unix_now()).await
    }

    /// Bodies the fake Slack received on `p`.
    pub async fn slack_bodies(&self, p: &str) -> Vec<Value> {
        self.slack
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path() == p)
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect()
    }

    /// A webhook body signed with the test app secret, posted to the WhatsApp webhook.
    pub async fn post_webhook(&self, body: &[u8]) -> reqwest::Response {
        self.http
            .post(format!("{}/webhooks/whatsapp", self.address))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                dossier::channels::whatsapp::signature::sign(crate::helpers::APP_SECRET.as_bytes(), body),
            )
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn graph_bodies(&self) -> Vec<Value> {
        self.graph
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| serde_json::from_slice(&r.body).ok())
            .collect()
    }
}

pub async fn mock_slack_ok(slack: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "ok": true, "ts": "1700000000.000100", "channel": "C0DRAFTS" })),
        )
        .mount(slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/chat.update"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .mount(slack)
        .await;
    Mock::given(method("POST"))
        .and(path("/respond"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(slack)
        .await;
}

pub async fn mock_graph_ok(graph: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PNID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": format!("+{WA_ID}"), "wa_id": WA_ID }],
            "messages": [{ "id": "wamid.SENT1" }],
        })))
        .mount(graph)
        .await;
}

/// Waits until `f` is true (background work: spawned tasks, paced posts).
pub async fn eventually<F, Fut>(mut f: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

pub fn button_value(blocks: &Value, action_id: &str) -> Option<String> {
    blocks.as_array()?.iter().find_map(|b| {
        b["elements"]
            .as_array()?
            .iter()
            .find_map(|e| (e["action_id"] == action_id).then(|| e["value"].as_str().unwrap_or_default().to_owned()))
    })
}

#[tokio::test]
async fn signed_slash_command_answers_a_profile_card() {
    let app = spawn_chat_app().await;
    app.seed_customer(jiff::SignedDuration::from_mins(10)).await;
    let started = std::time::Instant::now();
    let resp = app.command("profile +52 1 55 1234 5678").await;
    assert_eq!(resp.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(3));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["response_type"], "ephemeral");
    assert_eq!(body["blocks"][0]["type"], "header");
    assert!(
        body["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("María Souza"),
        "{body}"
    );
    dossier::channels::slack::blocks::check_limits(&body["blocks"]).unwrap();
    // by name, accent-insensitive, shared in channel
    let body: Value = app.command("profile maria --share").await.json().await.unwrap();
    assert_eq!(body["response_type"], "in_channel");
    // bad input: a usage line, never an error page
    let resp = app.command("finance lots").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert!(body["text"].as_str().unwrap().contains("Usage:"), "{body}");
}

#[tokio::test]
async fn forged_stale_or_foreign_requests_do_nothing() {
    let app = spawn_chat_app().await;
    mock_graph_ok(&app.graph).await;
    let form = format!("team_id={TEAM}&text=help&command=%2Fdossier");
    // replayed: signed 6 minutes ago
    assert_eq!(
        app.signed("/slack/commands", &form, unix_now() - 360).await.status(),
        401
    );
    // forged: wrong secret
    let ts = unix_now().to_string();
    let resp = app
        .http
        .post(format!("{}/slack/commands", app.address))
        .header("x-slack-request-timestamp", &ts)
        .header("x-slack-signature", sign(b"not-the-secret", &ts, form.as_bytes()))
        .body(form.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    // unknown workspace: ephemeral error
    let body: Value = app
        .signed("/slack/commands", "team_id=TOTHER&text=help", unix_now())
        .await
        .json()
        .await
        .unwrap();
    assert!(body["text"].as_str().unwrap().contains("not connected"), "{body}");
    // a forged button value and a click from another workspace send nothing
    app.seed_customer(jiff::SignedDuration::from_mins(1)).await;
    assert_eq!(
        app.click(TEAM, "draft_approve", &format!("acme|{WA_ID}|1|00"), "1.1")
            .await
            .status(),
        200
    );
    let key = dossier::copilot::token::derive_key(SIGNING_SECRET.as_bytes());
    let good = dossier::copilot::token::sign(&key, "acme", WA_ID, 1, "draft_approve");
    assert_eq!(app.click("TOTHER", "draft_approve", &good, "1.1").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.graph_bodies().await.is_empty());
}

#[tokio::test]
async fn incoming_message_draft_approve_sends_and_logs_the_outgoing_message() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.profile().await;
    app.draft_job().await.unwrap();
    let posts = app.slack_bodies("/api/chat.postMessage").await;
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["channel"], "C0DRAFTS");
    dossier::channels::slack::blocks::check_limits(&posts[0]["blocks"]).unwrap();
    let (_, draft) = copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    assert!(draft.text.starts_with("¡Hola, María!"), "{}", draft.text);
    assert!(draft.text.contains("Corolla"), "{}", draft.text);
    let value = button_value(&posts[0]["blocks"], "draft_approve").expect("an Approve button");

    assert_eq!(
        app.click(TEAM, "draft_approve", &value, "1700000000.000100")
            .await
            .status(),
        200
    );
    assert!(
        eventually(|| async { !app.graph_bodies().await.is_empty() }).await,
        "Graph API was not called"
    );
    let sent = &app.graph_bodies().await[0];
    assert_eq!(sent["messaging_product"], "whatsapp");
    assert_eq!(sent["to"], format!("+{WA_ID}"));
    assert_eq!(sent["type"], "text");
    assert_eq!(sent["text"]["body"], draft.text.as_str());
    let auth = &app.graph.received_requests().await.unwrap()[0].headers["authorization"];
    assert_eq!(auth, "Bearer graph-test-token");
    // the conversation shows the outgoing message with its wamid; the card says sent
    assert!(
        eventually(|| async {
            let log = app
                .state
                .store
                .messages(&app.company, &app.contact(), 10, None)
                .await
                .unwrap();
            log.iter()
                .any(|m| m.id.as_str() == "wamid.SENT1" && m.direction == Direction::Out)
        })
        .await
    );
    assert!(eventually(|| async { !app.slack_bodies("/api/chat.update").await.is_empty() }).await);
    let update = app.slack_bodies("/api/chat.update").await.pop().unwrap();
    assert_eq!(update["ts"], "1700000000.000100");
    assert!(update["blocks"].to_string().contains("Reply sent"), "{update}");
    // a second click does not send twice
    app.click(TEAM, "draft_approve", &value, "1700000000.000100").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.graph_bodies().await.len(), 1);
}

#[tokio::test]
async fn outside_the_window_the_card_offers_the_template() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    mock_graph_ok(&app.graph).await;
    app.seed_customer(jiff::SignedDuration::from_hours(30)).await;
    app.profile().await;
    app.draft_job().await.unwrap();
    let posts = app.slack_bodies("/api/chat.postMessage").await;
    let value = button_value(&posts[0]["blocks"], "draft_approve").unwrap();
    app.click(TEAM, "draft_approve", &value, "1700000000.000100").await;
    assert!(eventually(|| async { !app.slack_bodies("/api/chat.update").await.is_empty() }).await);
    let update = app.slack_bodies("/api/chat.update").await.pop().unwrap();
    assert!(
        app.graph_bodies().await.is_empty(),
        "nothing is sent outside the window"
    );
    let template = button_value(&update["blocks"], "draft_template").expect("a template button");
    assert!(update["blocks"].to_string().contains("window is closed"));
    app.click(TEAM, "draft_template", &template, "1700000000.000100").await;
    assert!(eventually(|| async { !app.graph_bodies().await.is_empty() }).await);
    let sent = &app.graph_bodies().await[0];
    assert_eq!(sent["type"], "template");
    assert_eq!(sent["template"]["name"], "follow_up_es_en");
    assert_eq!(sent["template"]["language"]["code"], "en_US");
}

#[tokio::test]
async fn a_newer_message_supersedes_the_unsent_draft() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.profile().await;
    app.draft_job().await.unwrap();
    let first = button_value(
        &app.slack_bodies("/api/chat.postMessage").await[0]["blocks"],
        "draft_approve",
    )
    .unwrap();
    app.seed_customer(jiff::SignedDuration::from_mins(4)).await;
    app.draft_job().await.unwrap();
    let updates = app.slack_bodies("/api/chat.update").await;
    assert!(updates.iter().any(|u| u.to_string().contains("Draft superseded")));
    let (_, d) = copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.seq, 2);
    // the old card's Approve does nothing now
    mock_graph_ok(&app.graph).await;
    app.click(TEAM, "draft_approve", &first, "1700000000.000100").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.graph_bodies().await.is_empty());
}

#[tokio::test]
async fn slack_429_is_retried_after_retry_after() {
    let app = spawn_chat_app().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&app.slack)
        .await;
    mock_slack_ok(&app.slack).await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    app.profile().await;
    let started = std::time::Instant::now();
    app.draft_job().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was not honoured"
    );
    let posts = app.slack_bodies("/api/chat.postMessage").await;
    assert_eq!(posts.len(), 2, "one 429, one success");
    let (_, d) = copilot::drafts::load(&app.state, &app.company, &app.contact())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.cards.len(), 1);
}

#[tokio::test]
async fn draft_and_handoff_are_acknowledged_then_completed_through_response_url() {
    let app = spawn_chat_app().await;
    mock_slack_ok(&app.slack).await;
    app.seed_customer(jiff::SignedDuration::from_mins(5)).await;
    let body: Value = app
        .command("draft 5215512345678 : mention the test drive")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["response_type"], "ephemeral");
    assert!(eventually(|| async { !app.slack_bodies("/respond").await.is_empty() }).await);
    let card = app.slack_bodies("/respond").await.pop().unwrap();
    assert!(button_value(&card["blocks"], "draft_approve").is_some(), "{card}");
    app.command("handoff María @carlos prefers Friday").await;
    assert!(
        eventually(|| async {
            app.slack_bodies("/api/chat.postMessage")
                .await
                .iter()
                .any(|p| p["channel"] == "C0MANAGERS")
        })
        .await
    );
    assert_eq!(app.profile().await.contact.assignee.as_deref(), Some("@carlos"));
}
