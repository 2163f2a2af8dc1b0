//! Chatwoot as an inbox: its signed account webhooks in ([`webhook`]), the contact's custom
//! attributes written back out ([`client`], opt-in per company). Protocol notes with sources:
//! `docs/` of the research guide, field-2026.md §2.2 (events, payloads, signing).
//!
//! - [`signature`]: `X-Chatwoot-Signature` over `"{timestamp}.{raw body}"`, checked first.
//! - [`payload`]: the documented event shapes, every field optional (Chatwoot versions differ).
//! - [`webhook`]: `POST /webhooks/chatwoot`: verify, dedupe, route, ingest, answer fast.
//! - [`client`]: `PUT /api/v1/accounts/{a}/contacts/{c}` with the profile's stage, intent and
//!   vehicle of interest, from the analysis job (never on the webhook path).

pub mod client;
pub mod payload;
pub mod signature;
pub mod webhook;
