//! dossier: a smart customer profile inside the WhatsApp conversation.
//!
//! # Layout
//! - [`config`]: layered configuration (files, env), validated at start; secrets from env only.
//! - [`startup`]: `Application::build` and run; [`state`]: the shared `AppState`.
//! - [`http`]: every route ([`http::router`]), middleware, errors, auth, and the JSON API.
//! - [`channels`]: WhatsApp (webhook in, Graph API out), Slack and Mattermost (agents).
//! - [`ingest`]: the one path that stores an accepted message and queues its analysis.
//! - [`store`]: what is kept, behind one trait: Redis (key layout documented there) or memory.
//! - [`jobs`]: the analysis worker on Redis Streams consumer groups.
//! - [`companies`]: per-company runtime (catalog, tools, analyzer), reloadable.
//! - [`cli`]: the `dossier` subcommands (`serve`, `worker`, `demo`, `check-config`, …).
//!
//! Domain types live in `crates/core`; the offline analyzer in `crates/analyzer`; the business
//! tools (inventory, finance, programs) in `crates/tools`.

pub mod analysis;
pub mod channels;
pub mod cli;
pub mod companies;
pub mod config;
pub mod copilot;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod net;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod templates;
