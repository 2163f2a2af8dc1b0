//! Integration tests: one binary (fast to link), the app on a random loopback port, real Redis
//! with a unique key prefix per test, local fakes for every outside service.

mod helpers;

mod api_messages;
mod browser;
mod chatwoot;
mod concurrency;
mod drafts_eval;
mod drafts_stats;
mod faults;
mod health;
mod local_llm;
mod logs;
mod mattermost;
mod openapi;
mod ops_files;
mod panel;
mod profile;
mod queue;
mod slack;
mod store_conformance;
mod trust;
mod webhook;
mod whatsapp2026;
mod worker;
