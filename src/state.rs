//! The one application state every handler and the worker share. Cheap to clone (`Arc`).

use crate::config::{Secrets, Settings};
use crate::store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What the service runs on. Providers sit behind traits so tests can swap them.
pub struct App {
    /// Validated configuration (service file, companies, routing maps).
    pub settings: Settings,
    /// Secrets from the environment (or given explicitly by tests and the demo).
    pub secrets: Secrets,
    /// Conversations, profiles, queue: Redis or embedded memory.
    pub store: Arc<dyn Store>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Outbound HTTP to operator-configured APIs (Graph, Slack, Mattermost): one pooled client.
    pub http: reqwest::Client,
    /// Outbound HTTP for LLM calls, which carry a key: internal addresses refused unless the
    /// operator listed the host, redirects only within the same origin ([`crate::net`]).
    pub llm_http: reqwest::Client,
    /// Per-company runtime pieces (catalog, tools, analyzer, connections), reloadable.
    pub companies: crate::companies::Companies,
    /// What `/readyz` reports besides the store answering.
    pub health: Health,
    /// Prompts, draft replies and the panel: embedded, with the operator's overrides.
    pub templates: Arc<crate::templates::Templates>,
    /// What each OpenAI-compatible endpoint was found to accept (negotiated once).
    pub llm_modes: Arc<crate::analysis::openai::Negotiated>,
    /// Change notices for open profile panels (this process and, through the store, the others).
    pub live: Arc<crate::panel::live::Live>,
}

impl App {
    /// What an LLM call needs from the process.
    pub fn llm_env(&self) -> crate::analysis::pipeline::LlmEnv<'_> {
        crate::analysis::pipeline::LlmEnv {
            http: &self.llm_http,
            secrets: &self.secrets,
            summary: &self.settings.service.summary,
            policy: &self.settings.service.llm,
            templates: &self.templates,
            negotiated: &self.llm_modes,
        }
    }
}

/// Health the background duties report.
#[derive(Debug)]
pub struct Health {
    queue_ok: AtomicBool,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            queue_ok: AtomicBool::new(true),
        }
    }
}

impl Health {
    /// Whether the worker's last read of its queues worked.
    pub fn queue_ok(&self) -> bool {
        self.queue_ok.load(Ordering::Relaxed)
    }

    pub fn set_queue_ok(&self, ok: bool) {
        self.queue_ok.store(ok, Ordering::Relaxed);
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
