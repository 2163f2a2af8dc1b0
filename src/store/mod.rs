//! What the service keeps, behind one trait with two implementations: [`redis::RedisStore`] (the
//! real one) and [`memory::MemoryStore`] (embedded: `dossier demo`, and `serve` without
//! `REDIS_URL`, where it warns that nothing outlives the process). One conformance suite
//! (`tests/api/store_conformance.rs`) runs against both.
//!
//! # Redis key layout
//!
//! Every key starts with the configured prefix (`dossier:` by default; tests use a unique prefix
//! each). Keys of one contact share the hash tag `{c:<company>:<contact>}`, so they live in one
//! Cluster slot and one Lua script can touch them all atomically.
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `P{c:CO:CT}:log` | ZSET | message ids; score = `timestamp_secs * 2^20 + arrival_seq % 2^20`, so reads come sorted by time, ties in arrival order |
//! | `P{c:CO:CT}:msg` | HASH | message id → message JSON |
//! | `P{c:CO:CT}:st` | HASH | outgoing message id → `rank|status JSON` (delivery state; rank never goes down) |
//! | `P{c:CO:CT}:seq` | STRING | arrival counter |
//! | `P{c:CO:CT}:contact` | HASH | `profile_name`, `wa_id`, `user_id`, `first_seen`, `last_seen`, `last_inbound`, `in`, `out` |
//! | `P{c:CO:CT}:seen:<message id>` | STRING | dedupe mark, expires after `whatsapp.dedupe_ttl_secs` (8 days) |
//! | `P{c:CO:CT}:doc:<name>` | HASH | `v` (version) and `body`: profile, analyzer state, drafts; written compare-and-set |
//! | `P{co:CO}:contacts` | ZSET | contact ids by last activity (lookup by name in team chat) |
//! | `P{co:CO}:settings` | STRING | Customer Intelligence settings JSON set through the API |
//! | `P{co:CO}:kv:<name>` | STRING | small company-scoped values with a TTL (pending button actions…) |
//! | `P{jobs}:<n>` | STREAM | analysis jobs, `n` = hash(contact) mod `redis.job_streams`; group `analysis` |
//! | `P{dead}:webhooks` | STREAM | webhook bodies that could not be used (bad JSON, unknown number), with the reason |
//! | `P{dead}:jobs` | STREAM | jobs that failed `worker.max_attempts` times |
//!
//! Job streams are sharded so that one stream is not one hot slot; each is read separately
//! (a multi-key `XREADGROUP` would cross slots in a Cluster).

pub mod memory;
pub mod redis;

use async_trait::async_trait;
use dossier_core::{CompanyId, ContactId, Message, MessageId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A store failure. The HTTP layer maps it to 503, so Meta and inboxes retry later.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Whether an appended message was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    New,
    /// Seen before (Meta redelivers): acknowledged, not stored again.
    Duplicate,
}

/// What a message tells about its sender, merged into the contact record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContactUpdate {
    pub profile_name: Option<String>,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
}

/// The contact record: who, and when they last wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub contact: String,
    pub profile_name: Option<String>,
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Last customer message: WhatsApp's 24-hour service window runs from here.
    pub last_inbound: Option<Timestamp>,
    pub messages_in: u64,
    pub messages_out: u64,
}

/// A delivery-status update for an outgoing message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub status: String,
    pub timestamp: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<serde_json::Value>,
}

impl StatusUpdate {
    /// Shows this delivery state on the message it belongs to (its errors go under `detail`).
    pub fn apply_to(self, m: &mut Message) {
        m.status = Some(self.status);
        if let Some(errors) = self.errors {
            let mut detail = m.detail.take().unwrap_or_else(|| serde_json::json!({}));
            if let Some(obj) = detail.as_object_mut() {
                obj.insert("errors".into(), errors);
            }
            m.detail = Some(detail);
        }
    }

    /// Order of delivery states; a status never replaces one of higher rank. `failed` is final and
    /// keeps its error; `played` (voice) comes after `read`.
    pub fn rank(&self) -> u8 {
        match self.status.as_str() {
            "sent" => 1,
            "delivered" => 2,
            "read" => 3,
            "played" => 4,
            "failed" => 5,
            _ => 0,
        }
    }
}

/// A versioned document (profile, analyzer state, draft).
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub version: u64,
    pub body: Vec<u8>,
}

/// An analysis job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub company: String,
    pub contact: String,
    pub message_id: String,
    /// 0 on the first try; a failed job is re-queued with `attempt + 1`.
    #[serde(default)]
    pub attempt: u32,
    /// A customer message (drafts a reply); business messages are only folded into the profile.
    #[serde(default = "yes")]
    pub inbound: bool,
}

fn yes() -> bool {
    true
}

/// A job handed to a consumer; `id` acknowledges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub stream: String,
    pub id: String,
    pub job: Job,
    /// How many times this entry was delivered (1 = first delivery).
    pub deliveries: u64,
}

/// Which dead-letter stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadKind {
    Webhooks,
    Jobs,
}

impl DeadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadKind::Webhooks => "webhooks",
            DeadKind::Jobs => "jobs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    pub reason: String,
    pub payload: String,
    pub at: Timestamp,
}

/// Everything the service keeps. Implementations must be safe to share between tasks and
/// between processes (the Redis one is; several instances share one Redis).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The backend's name for logs and `/readyz` (`redis`, `memory`).
    fn backend(&self) -> &'static str;

    async fn ping(&self) -> StoreResult<()>;

    /// Stores a message unless its id was seen in the dedupe window; updates the contact record
    /// and the company's contact index. Atomic per contact.
    async fn append_message(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
    ) -> StoreResult<Appended>;

    /// [`Store::append_message`], then, when the message is new, [`Store::enqueue`] of `job`:
    /// what ingestion does for every accepted message. Backends may do both in one round trip.
    async fn append_and_enqueue(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        job: &Job,
    ) -> StoreResult<Appended> {
        let appended = self.append_message(company, contact, message, update).await?;
        if appended == Appended::New {
            self.enqueue(job).await?;
        }
        Ok(appended)
    }

    /// The conversation, oldest first: the `limit` latest messages strictly before `before`.
    async fn messages(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        limit: usize,
        before: Option<Timestamp>,
    ) -> StoreResult<Vec<Message>>;

    /// The stored messages with these ids (those that exist), in the order asked. Cards quote
    /// evidence with it without reading the whole conversation.
    async fn messages_by_id(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        ids: &[MessageId],
    ) -> StoreResult<Vec<Message>>;

    /// Records a delivery status; never moves a message's state backwards.
    async fn record_status(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message_id: &MessageId,
        update: &StatusUpdate,
    ) -> StoreResult<()>;

    async fn contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<Option<ContactRecord>>;

    /// The company's contacts, most recently active first.
    async fn contacts(&self, company: &CompanyId, limit: usize) -> StoreResult<Vec<ContactRecord>>;

    async fn doc(&self, company: &CompanyId, contact: &ContactId, name: &str) -> StoreResult<Option<Doc>>;

    /// Writes a document if its version is still `expected` (0 = absent); returns false when
    /// another writer got there first, so the caller re-reads and retries.
    async fn put_doc(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        name: &str,
        expected: u64,
        body: &[u8],
    ) -> StoreResult<bool>;

    /// Erases everything kept about a contact (dedupe marks stay, so a redelivery cannot bring
    /// the erased messages back).
    async fn erase_contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<()>;

    async fn settings(&self, company: &CompanyId) -> StoreResult<Option<Vec<u8>>>;
    async fn put_settings(&self, company: &CompanyId, body: &[u8]) -> StoreResult<()>;

    /// A small company-scoped value with a time to live.
    async fn put_kv(&self, company: &CompanyId, name: &str, value: &[u8], ttl_secs: u64) -> StoreResult<()>;
    async fn kv(&self, company: &CompanyId, name: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Queues an analysis job.
    async fn enqueue(&self, job: &Job) -> StoreResult<()>;

    /// Reads up to `count` new jobs for `consumer`, waiting up to `block_ms` when there are none.
    async fn read_jobs(&self, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Delivery>>;

    /// Acknowledges (and deletes) a finished job.
    async fn ack(&self, delivery: &Delivery) -> StoreResult<()>;

    /// Takes over jobs pending on any consumer for longer than `min_idle_ms` (a crashed worker's).
    async fn reclaim(&self, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Delivery>>;

    /// Jobs handed out but not yet acknowledged, over all consumers.
    async fn pending_jobs(&self) -> StoreResult<u64>;

    async fn dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()>;
    async fn dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>>;
}

/// Which job stream a contact's jobs go to.
pub fn stream_index(company: &str, contact: &str, streams: u32) -> u32 {
    // FNV-1a: stable across processes and versions (std's hasher is randomly seeded).
    let mut h: u32 = 0x811c9dc5;
    for b in company.bytes().chain([b':']).chain(contact.bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x01000193);
    }
    h % streams.max(1)
}

/// Score of a message in the conversation ZSET: seconds shifted left 20 bits plus the arrival
/// counter, so equal timestamps keep arrival order. Exact in an f64 until the year 2100+.
pub fn log_score(ts: Timestamp, seq: u64) -> f64 {
    (ts.as_second() as f64) * 1_048_576.0 + (seq % 1_048_576) as f64
}
