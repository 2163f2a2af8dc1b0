//! WhatsApp Cloud API: the webhook (verify, parse, route, store) and sending.
//!
//! - [`signature`]: `X-Hub-Signature-256` on the raw body, constant time.
//! - [`payload`]: typed webhook payloads, every message type and status Meta documents; an
//!   unknown type is kept as such.
//! - [`webhook`]: the `GET`/`POST /webhooks/whatsapp` handlers.

pub mod events;
pub mod fields;
pub mod payload;
pub mod send;
pub mod signature;
pub mod webhook;
