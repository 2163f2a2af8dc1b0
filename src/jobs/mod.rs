//! Background work on the queues (Redis Streams consumer groups): typed [`job::Job`]s, the
//! [`worker`] that runs them, and the [`sweep`] that finds contacts whose analysis was lost.
//!
//! Two queues, each with its own streams and concurrency: `analysis` folds new messages into the
//! profile (and calls the company's LLM); `drafts` composes a reply and posts it to team chat, so
//! a slow chat API never holds an analysis slot. Both share the same machinery: a failing job is
//! retried later with exponential backoff and jitter, then dead-lettered.

pub mod job;
pub mod sweep;
pub mod worker;
