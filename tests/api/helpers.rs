//! `spawn_app()`: the whole service on port 0 against real Redis (unique key prefix per test) or
//! the embedded store, with typed request helpers.

use dossier::channels::whatsapp::signature::sign;
use dossier::config::{Secrets, Settings};
use dossier::startup::{Application, build_state};
use dossier::state::AppState;
use dossier::store::Store;
use dossier::store::memory::MemoryStore;
use dossier::store::redis::RedisStore;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use tokio_util::sync::CancellationToken;

pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const ACME_TOKEN: &str = "acme-token";
pub const OTHER_TOKEN: &str = "other-token";
/// Phone number ids of the fixtures that route to company `acme`.
pub const ACME_PNIDS: [&str; 5] = [
    "1122334455667",
    "409552778964973",
    "987654321",
    "109999999999999",
    "106540352242922",
];
pub const OTHER_PNID: &str = "555000111222";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Redis,
    Memory,
    /// The Redis Cluster at `REDIS_CLUSTER_URL` (`.ci/run` starts one).
    Cluster,
}

/// The Cluster's URL, or `None` outside CI (where a test without it says so and skips).
pub fn cluster_url() -> Option<String> {
    match std::env::var("REDIS_CLUSTER_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI must provide REDIS_CLUSTER_URL (bash .ci/run starts a cluster)"
            );
            eprintln!("REDIS_CLUSTER_URL is not set: skipping the cluster run (bash .ci/run sets it)");
            None
        }
    }
}

#[allow(dead_code)] // fields used by some test modules only
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub prefix: String,
    pub config_dir: PathBuf,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            dossier::telemetry::init_logs(false);
        }
    });
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Writes a test configuration folder: companies `acme` (the fixtures' phone numbers) and `other`.
pub fn test_config_dir(extra_service_toml: &str) -> PathBuf {
    test_config_dir_with(extra_service_toml, "")
}

/// [`test_config_dir`] with more lines for `acme`'s company file (its `[providers]`, `[slack]`…).
pub fn test_config_dir_with(extra_service_toml: &str, extra_acme_toml: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dossier-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("companies")).unwrap();
    std::fs::write(
        dir.join("dossier.toml"),
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n{}{extra_service_toml}",
            // Tests drive the worker themselves unless they configure it.
            if extra_service_toml.contains("[worker]") {
                ""
            } else {
                "[worker]\nenabled = false\n"
            }
        ),
    )
    .unwrap();
    let catalog = repo_path("data/catalog/demo-motors.csv");
    let pnids = ACME_PNIDS
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join(", ");
    std::fs::write(
        dir.join("companies/acme.toml"),
        format!(
            "id = \"acme\"\nname = \"Acme Motors\"\napi_token_env = \"ACME_API_TOKEN\"\ncatalog = \"{}\"\n\
             [whatsapp]\nphone_number_ids = [{pnids}]\n{extra_acme_toml}",
            catalog.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("companies/other.toml"),
        format!("id = \"other\"\nname = \"Other Cars\"\napi_token_env = \"OTHER_API_TOKEN\"\n[whatsapp]\nphone_number_ids = [\"{OTHER_PNID}\"]\n"),
    )
    .unwrap();
    dir
}

pub fn test_secrets() -> Secrets {
    Secrets::explicit(
        [
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_VERIFY_TOKEN", VERIFY_TOKEN),
            ("DOSSIER_ADMIN_TOKEN", ADMIN_TOKEN),
            ("ACME_API_TOKEN", ACME_TOKEN),
            ("OTHER_API_TOKEN", OTHER_TOKEN),
            ("OPENAI_API_KEY", "test-openai-key"),
            ("ANTHROPIC_API_KEY", "test-anthropic-key"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into_iter()
        .chain([(
            "LOCAL_ANTHROPIC_KEY".to_owned(),
            std::env::var("DOSSIER_TEST_ANTHROPIC_KEY").unwrap_or_else(|_| "sk-local-0000".into()),
        )]),
    )
}

pub async fn open_backend(backend: Backend, settings: &Settings, prefix: &str) -> Arc<dyn Store> {
    match backend {
        Backend::Memory => Arc::new(MemoryStore::new(settings.service.whatsapp.dedupe_ttl_secs)),
        Backend::Redis => Arc::new(
            RedisStore::connect(&redis_url(), dossier::startup::redis_options(settings, prefix))
                .await
                .expect("Redis must answer at REDIS_URL or 127.0.0.1:6379 (bash .ci/run starts one)"),
        ),
        Backend::Cluster => Arc::new(
            RedisStore::connect(
                &cluster_url().expect("REDIS_CLUSTER_URL"),
                dossier::startup::redis_options(settings, prefix),
            )
            .await
            .expect("the cluster at REDIS_CLUSTER_URL answers"),
        ),
    }
}

pub fn unique_prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Backend::Redis, "").await
}

pub async fn spawn_app_with(backend: Backend, extra_service_toml: &str) -> TestApp {
    spawn_app_configured(backend, extra_service_toml, "").await
}

/// The app with extra service-file and `acme` company-file lines.
pub async fn spawn_app_configured(backend: Backend, extra_service_toml: &str, extra_acme_toml: &str) -> TestApp {
    init_logs();
    let config_dir = test_config_dir_with(extra_service_toml, extra_acme_toml);
    spawn_in(backend, config_dir, unique_prefix()).await
}

/// The app on `config_dir` with the store at `prefix` (a second instance of a deployment shares
/// both).
pub async fn spawn_in(backend: Backend, config_dir: PathBuf, prefix: String) -> TestApp {
    let settings = Settings::load(&config_dir).expect("test configuration is valid");
    let store = open_backend(backend, &settings, &prefix).await;
    spawn_on(config_dir, prefix, store).await
}

/// The app on `config_dir` with this store.
pub async fn spawn_on(config_dir: PathBuf, prefix: String, store: Arc<dyn Store>) -> TestApp {
    let settings = Settings::load(&config_dir).expect("test configuration is valid");
    let state = build_state(settings, test_secrets(), store.clone()).await.unwrap();
    let app = Application::build(state.clone()).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(shutdown.clone()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        state,
        store,
        prefix,
        config_dir,
        shutdown,
    }
}

impl TestApp {
    /// Another instance of the same deployment: same configuration, same store prefix, its own
    /// store connections, HTTP listener and worker.
    pub async fn peer(&self, backend: Backend) -> TestApp {
        spawn_in(backend, self.config_dir.clone(), self.prefix.clone()).await
    }

    /// Posts a signed webhook carrying these `(message id, unix seconds, text)` of one customer.
    pub async fn post_texts(&self, wa_id: &str, messages: &[(&str, i64, &str)]) -> reqwest::Response {
        self.post_webhook(&serde_json::to_vec(&texts_envelope(ACME_PNIDS[0], wa_id, messages)).unwrap())
            .await
    }

    /// Posts a webhook body signed with the test app secret.
    pub async fn post_webhook(&self, body: &[u8]) -> reqwest::Response {
        self.client
            .post(format!("{}/webhooks/whatsapp", self.address))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sign(APP_SECRET.as_bytes(), body))
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub async fn get_messages(&self, company: &str, contact: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!(
                "{}/v1/companies/{company}/contacts/{contact}/messages?limit=1000",
                self.address
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Ingests a message through the API as company `acme`.
    pub async fn ingest(&self, contact: &str, id: &str, direction: &str, ts: &str, text: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/v1/companies/acme/messages", self.address))
            .bearer_auth(ACME_TOKEN)
            .json(
                &serde_json::json!({ "contact": { "wa_id": contact, "profile_name": "Carlos Mendes" },
                "message": { "id": id, "direction": direction, "timestamp": ts, "text": text } }),
            )
            .send()
            .await
            .unwrap()
    }

    /// `GET/POST/PUT/DELETE` on the company API with a token.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    /// Runs every queued job of both queues through the worker's handler (what `dossier worker`
    /// does), in order, until both are empty (a draft job queued by an analysis runs too).
    pub async fn drain_jobs(&self) -> usize {
        let mut n = 0;
        loop {
            let mut ran = 0;
            for q in dossier::store::Queue::ALL {
                self.store.promote_due(q).await.unwrap();
                for d in self.store.read_jobs(q, "test-worker", 50, 0).await.unwrap() {
                    dossier::jobs::worker::handle(&self.state, d).await;
                    ran += 1;
                }
            }
            if ran == 0 {
                return n;
            }
            n += ran;
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.unwrap()
    }
}

/// Every WhatsApp fixture: (file name, raw bytes exactly as stored).
pub fn whatsapp_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = repo_path("tests/fixtures/whatsapp");
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// A webhook envelope with several text messages of one customer in one change.
pub fn texts_envelope(pnid: &str, wa_id: &str, messages: &[(&str, i64, &str)]) -> serde_json::Value {
    let msgs: Vec<serde_json::Value> = messages
        .iter()
        .map(|(id, ts, text)| {
            serde_json::json!({ "from": wa_id, "id": id, "timestamp": ts.to_string(), "type": "text",
                                "text": { "body": text } })
        })
        .collect();
    serde_json::json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
        "field": "messages", "value": { "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "1", "phone_number_id": pnid },
        "contacts": [{ "profile": { "name": "Test Customer" }, "wa_id": wa_id }],
        "messages": msgs } }] }] })
}

/// A team chat that records what the copilot posts (no HTTP), for tests of the copilot itself.
#[derive(Default)]
pub struct RecordingChat {
    pub drafts: std::sync::Mutex<Vec<dossier::copilot::drafts::DraftCard>>,
    pub updates: std::sync::Mutex<Vec<dossier::copilot::drafts::DraftCard>>,
    pub texts: std::sync::Mutex<Vec<(String, String)>>,
}

#[async_trait::async_trait]
impl dossier::copilot::ports::TeamChat for RecordingChat {
    fn kind(&self) -> dossier::copilot::ports::ChatKind {
        dossier::copilot::ports::ChatKind::Slack
    }
    fn bold(&self) -> &'static str {
        "*"
    }
    fn mention(&self, caller: &dossier::copilot::Caller) -> String {
        caller.user_name.clone()
    }
    async fn post_draft(
        &self,
        channel: &str,
        card: &dossier::copilot::drafts::DraftCard,
    ) -> Result<Option<dossier::copilot::ports::CardRef>, dossier::copilot::ports::ChatError> {
        let mut d = self.drafts.lock().unwrap();
        d.push(card.clone());
        Ok(Some(dossier::copilot::ports::CardRef {
            chat: dossier::copilot::ports::ChatKind::Slack,
            channel: channel.to_owned(),
            ts: format!("rec.{}", d.len()),
        }))
    }
    async fn update_draft(
        &self,
        _at: &dossier::copilot::ports::CardRef,
        card: &dossier::copilot::drafts::DraftCard,
    ) -> Result<(), dossier::copilot::ports::ChatError> {
        self.updates.lock().unwrap().push(card.clone());
        Ok(())
    }
    async fn post_text(&self, channel: &str, text: &str) -> Result<bool, dossier::copilot::ports::ChatError> {
        self.texts.lock().unwrap().push((channel.to_owned(), text.to_owned()));
        Ok(true)
    }
}

impl TestApp {
    /// Plugs a recording team chat (drafts channel `D-REC`) into company `acme`.
    pub fn record_chat(&self) -> Arc<RecordingChat> {
        let rec = Arc::new(RecordingChat::default());
        let rt = self.state.companies.get("acme").unwrap();
        self.state
            .companies
            .connect(
                "acme",
                dossier::companies::Connections {
                    chats: vec![dossier::copilot::ports::ChatBinding {
                        chat: rec.clone(),
                        drafts_channel: Some("D-REC".into()),
                        managers_channel: Some("M-REC".into()),
                    }],
                    whatsapp: rt.whatsapp().clone(),
                },
            )
            .unwrap();
        rec
    }
}

/// A Redis server of the test's own on a free loopback port (for faults the shared one cannot
/// take: kill -9, restart empty, persistence settings).
pub struct PrivateRedis {
    pub port: u16,
    pub dir: PathBuf,
    args: Vec<String>,
    child: Option<std::process::Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` with `extra` arguments (e.g. `--appendonly yes`).
    pub fn start(extra: &[&str]) -> PrivateRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("dossier-redis-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--save".into(),
            "".into(),
            "--dir".into(),
            dir.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut r = PrivateRedis {
            port,
            dir,
            args,
            child: None,
        };
        r.spawn();
        r
    }

    fn spawn(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(&self.args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server must be installed (bash .ci/run installs it)");
        self.child = Some(child);
        let start = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(start.elapsed().as_secs() < 10, "redis-server did not come up");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// kill -9: nothing flushed, nothing said.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and folder (what it kept on disk, if anything, comes back).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
