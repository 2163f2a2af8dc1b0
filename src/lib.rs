//! dossier: a smart customer profile inside the WhatsApp conversation.
//!
//! # Layout
//! - [`config`]: layered configuration (files, env), validated at start; secrets from env only.
//! - [`startup`]: `Application::build` and run; [`state`]: the shared `AppState`.
//! - [`http`]: every route ([`http::router`]), middleware, errors, auth, and the JSON API.
//! - [`channels`]: the adapters: WhatsApp (webhook in, Graph API out), Slack and Mattermost
//!   (agents). Each implements a port the copilot owns and verifies its own requests.
//! - [`copilot`]: chat-independent commands, cards, drafts, approve and handoff, with its ports
//!   ([`copilot::ports`]: a team chat, a customer channel).
//! - [`analysis`]: the profile pipeline (the one writer of the profile document), LLM providers,
//!   PII redaction, the rolling summary window.
//! - [`ingest`]: the one path that stores an accepted message and queues its analysis.
//! - [`store`]: what is kept, behind one trait: Redis (key layout documented there) or memory.
//! - [`jobs`]: typed jobs on two queues (analysis, drafts), the worker, the sweep.
//! - [`companies`]: per-company runtime (catalog, tools, analyzer, connections), reloadable.
//! - [`panel`]: the live profile panel an inbox (Chatwoot) embeds beside the conversation.
//! - [`templates`]: prompts, draft replies and pages: embedded, overridable, strict.
//! - [`net`]: the outbound policy for requests that carry an LLM key.
//! - [`telemetry`]: logs (scrubbed of personal data) and metrics.
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
pub mod panel;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod templates;
