//! Slack over HTTP: signed slash commands and interactivity, Block Kit cards, Web API posting.
//!
//! - [`signature`]: v0 request signing on the raw body, 5-minute replay window.
//! - [`routes`]: `POST /slack/commands` and `POST /slack/interactions`.
//! - [`blocks`]: Block Kit rendering of the copilot's replies, within Slack's limits.
//! - [`client`]: `chat.postMessage` / `chat.update` / `views.open` and `response_url`, paced at one
//!   message per second per channel, honouring `Retry-After`.

pub mod blocks;
pub mod client;
pub mod routes;
pub mod signature;
