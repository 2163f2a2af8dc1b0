//! The one application state every handler and the worker share. Cheap to clone (`Arc`).

use crate::config::{Secrets, Settings};
use crate::store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use std::ops::Deref;
use std::sync::Arc;

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
    /// Outbound HTTP (Graph API, Slack, LLM providers): one pooled client.
    pub http: reqwest::Client,
    /// Per-company runtime pieces (catalog, tools, analyzer), reloadable.
    pub companies: crate::companies::Companies,
}

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
