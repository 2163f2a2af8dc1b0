//! What the service keeps, behind one trait with two implementations: [`redis::RedisStore`] (the
//! real one) and [`memory::MemoryStore`] (embedded: `dossier demo`, and `serve` without
//! `REDIS_URL`, where it warns that nothing outlives the process). One conformance suite
//! (`tests/api/store_conformance.rs`) runs against memory, Redis and a real Redis Cluster.
//!
//! # Redis key layout
//!
//! Every key starts with the configured prefix `P` (`dossier:` by default; tests use a unique
//! prefix each). Keys of one contact share the hash tag `{c:<company>:<contact>}`, so they live in
//! one Cluster slot and one Lua script can touch them all atomically.
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `P{c:CO:CT}:arr` | LIST | message ids in arrival order; a message's *position* is its index + 1, so the list's length is the number of stored messages |
//! | `P{c:CO:CT}:log` | ZSET | message ids; score = `timestamp_secs * 2^20 + position % 2^20`, so reads come sorted by time, ties in arrival order |
//! | `P{c:CO:CT}:msg` | HASH | message id → message JSON |
//! | `P{c:CO:CT}:st` | HASH | outgoing message id → `rank|status JSON` (delivery state; rank never goes down) |
//! | `P{c:CO:CT}:contact` | HASH | `profile_name`, `wa_id`, `user_id`, `first_seen`, `last_seen`, `last_inbound`, `in`, `out` |
//! | `P{c:CO:CT}:seen:<message id>` | STRING | dedupe mark, expires after `whatsapp.dedupe_ttl_secs` (8 days) |
//! | `P{c:CO:CT}:queued` | STRING | set while an analysis job for the contact waits in a queue (expires after [`QUEUED_TTL_SECS`]); further messages join that job instead of queuing their own |
//! | `P{c:CO:CT}:doc:profile` | HASH | `v` (version), `body` (the profile document JSON) and `pos` (the last message position folded into it); written compare-and-set |
//! | `P{c:CO:CT}:doc:draft` | HASH | `v` and `body`: the contact's current drafted reply; written compare-and-set |
//! | `P{c:CO:CT}:doc:thread` | HASH | `v` and `body`: who handles the conversation under WhatsApp Conversation Routing (`copilot::thread`); written compare-and-set |
//! | `P{co:CO}:contacts` | ZSET | contact ids by last activity (lookup by name in team chat; the sweep of contacts whose profile is behind) |
//! | `P{co:CO}:settings` | STRING | Customer Intelligence settings JSON set through the API |
//! | `P{co:CO}:kv:<name>` | STRING | small company-scoped values with a TTL (pending button actions, one-vote marks, `template_category:<template>` as Meta last reported it…) |
//! | `P{co:CO}:counters:<name>` | HASH | company-scoped counters (`drafts`: each draft's outcome and feedback per language and intent, edit distances; `spend:YYYY-MM`: WhatsApp sends and estimated spend in micro-units per category and currency), added to with HINCRBY |
//! | `P{jobs:n}` | STREAM | analysis jobs, `n` = hash(company, contact) mod `redis.job_streams`; group `analysis` |
//! | `P{jobs:n}:later` | ZSET | analysis jobs waiting for a retry; score = due time in ms |
//! | `P{drafts:n}` | STREAM | draft jobs (compose and post a reply), same sharding; group `drafts` |
//! | `P{drafts:n}:later` | ZSET | draft jobs waiting for a retry |
//! | `P{dead}:webhooks` | STREAM | webhook bodies that could not be used (bad JSON, unknown number), with the reason |
//! | `P{dead}:jobs` | STREAM | jobs that failed `worker.max_attempts` times, and stream entries that are not jobs |
//! | `P{live}` | pub/sub channel | change notices for live panels (`{"i":instance,"co":…,"ct":…,"what":…}`), not stored; in a Cluster, classic PUBLISH reaches subscribers on every node |
//!
//! Company kv names (`P{co:CO}:kv:<name>`) used by the Chatwoot adapter: `cw:delivery:<uuid>`
//! (a webhook delivery seen, 8 days), `cw:contact:<contact>` (the Chatwoot contact and account
//! ids of a contact, for write-back, 90 days), `cw:wb:<contact>` (the custom attributes last
//! written back, so an unchanged profile is not written again, 90 days).
//!
//! Job streams are sharded so that one stream is not one hot slot; each is read separately
//! (a multi-key `XREADGROUP` would cross slots in a Cluster). A stream and its `later` set share
//! a hash tag, so moving a job between them is one script.

pub mod memory;
pub mod redis;

use async_trait::async_trait;
use dossier_core::{CompanyId, ContactId, Message, MessageId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long the "analysis queued" mark lives. Long enough to cover a normal queue wait; a job lost
/// between its mark and its stream entry (a crash in a Cluster, where they are two commands) only
/// delays the contact's next analysis until the mark expires and the sweep finds it.
pub const QUEUED_TTL_SECS: u64 = 300;

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

/// A versioned document (profile, draft).
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub version: u64,
    pub body: Vec<u8>,
}

/// A stored message with its position (1 = the contact's first stored message, in arrival order).
#[derive(Debug, Clone, PartialEq)]
pub struct Positioned {
    pub pos: u64,
    pub message: Message,
}

/// Where a [`Store::snapshot`] starts reading messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// After the position the profile document says it folded (what is new).
    Folded,
    /// After this position (0 = every message), e.g. to rebuild a profile from scratch.
    After(u64),
}

/// What one job asks of a contact, read in one atomic step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRequest {
    pub from: ReadFrom,
    /// Also return up to this many of the newest messages by time (an LLM prompt's window).
    pub recent: usize,
    /// Clear the contact's "analysis queued" mark in the same step, so a message stored after
    /// this read queues a new job and one stored before is in the read.
    pub take_queued: bool,
}

impl SnapshotRequest {
    /// The record and the profile document, no messages (a signal or a read of the profile).
    pub fn document_only() -> SnapshotRequest {
        SnapshotRequest {
            from: ReadFrom::After(u64::MAX),
            recent: 0,
            take_queued: false,
        }
    }
}

/// One contact as a job sees it, all read at the same instant: nothing can be stored between the
/// record, the profile document and the messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub record: Option<ContactRecord>,
    /// The profile document, if any, and the position it says it folded.
    pub profile: Option<Doc>,
    pub folded: u64,
    /// How many messages are stored (the position of the newest).
    pub stored: u64,
    /// Messages after the requested position, in arrival order.
    pub messages: Vec<Positioned>,
    /// The position `messages` read up to (a message whose body is missing still counts).
    pub until: u64,
    /// The newest messages by time, oldest first (when asked for).
    pub recent: Vec<Message>,
}

/// A queue of background work. Each has its own streams, consumer group and concurrency, so a
/// slow team-chat API (drafts) never holds a slot that analysis needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Fold new messages into the profile (and run the company's LLM).
    Analysis,
    /// Compose a reply and post it to team chat.
    Drafts,
}

impl Queue {
    pub const ALL: [Queue; 2] = [Queue::Analysis, Queue::Drafts];

    /// The consumer group name, also the metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Analysis => "analysis",
            Queue::Drafts => "drafts",
        }
    }

    /// The stream key family (`{jobs:n}`, `{drafts:n}`).
    pub fn stream_family(self) -> &'static str {
        match self {
            Queue::Analysis => "jobs",
            Queue::Drafts => "drafts",
        }
    }
}

/// A stream entry handed to a consumer: its payload is what was queued, unparsed (the jobs layer
/// owns the job format and dead-letters what is not a job). `id` acknowledges it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub queue: Queue,
    pub stream: String,
    pub id: String,
    /// The `job` field; `None` when the entry has none.
    pub payload: Option<String>,
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

/// What the store's server promises about keeping acknowledged writes (Redis persistence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durability {
    /// Append-only file on (every node, in a Cluster): an acknowledged message survives a restart
    /// (`appendfsync`: `always` loses nothing, `everysec` at most about a second).
    AppendOnly { fsync: String },
    /// No append-only file: a restart loses what came after the last snapshot (or everything).
    NotDurable { why: String },
    /// The embedded store: nothing outlives the process.
    Memory,
    /// The server would not say (managed Redis often disables `CONFIG`).
    Unknown { why: String },
}

/// Everything the service keeps. Implementations must be safe to share between tasks and
/// between processes (the Redis one is; several instances share one Redis).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The backend's name for logs and `/readyz` (`redis`, `memory`).
    fn backend(&self) -> &'static str;

    async fn ping(&self) -> StoreResult<()>;

    /// Ready to serve: the server answers and every queue's consumer group exists (recreated when
    /// a restarted, empty Redis lost them).
    async fn ready(&self) -> StoreResult<()>;

    /// What the server promises about acknowledged writes.
    async fn durability(&self) -> Durability;

    /// Stores a message unless its id was seen in the dedupe window; updates the contact record
    /// and the company's contact index. Atomic per contact. No analysis is queued.
    async fn append_message(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
    ) -> StoreResult<Appended> {
        self.append_and_queue(company, contact, message, update, None).await
    }

    /// [`Store::append_message`], then, when the message is new and `analysis` is given, queues
    /// that analysis job for the contact unless one is already waiting (its `queued` mark): what
    /// ingestion does for every accepted message. One round trip on a single node.
    async fn append_and_queue(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        analysis: Option<&str>,
    ) -> StoreResult<Appended>;

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

    /// Replaces the stored body of message `message.id` (its position, time order and dedupe
    /// mark stay); `false` when no such message is stored. For edits and revokes of the business's
    /// own messages, and for the billing a status reports, which change a message after the fact.
    async fn replace_message(&self, company: &CompanyId, contact: &ContactId, message: &Message) -> StoreResult<bool>;

    /// The contact's record, profile document and messages, read atomically (see [`Snapshot`]).
    async fn snapshot(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<Snapshot>;

    /// Writes the profile document if its version is still `expected` (0 = absent), recording
    /// `folded` as the last message position it contains; false when another writer got there
    /// first (the caller reads again and retries).
    async fn put_profile(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        expected: u64,
        body: &[u8],
        folded: u64,
    ) -> StoreResult<bool>;

    /// [`Store::snapshot`] and the company's stored settings ([`Store::settings`]) together: one
    /// round trip where the store can (a single Redis node runs both in the snapshot's script).
    /// The settings are company-wide, so they are not part of the contact's atomic read.
    async fn snapshot_with_settings(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<(Option<Vec<u8>>, Snapshot)> {
        let settings = self.settings(company).await?;
        Ok((settings, self.snapshot(company, contact, request).await?))
    }

    /// [`Store::put_profile`]; when the document is written, also publishes `notice` (best
    /// effort, as [`Store::publish`]) and acknowledges `done` (the job that wrote it), never
    /// before the write: in the write's own step where the store can (a single Redis node: one
    /// script), else right after it. An acknowledgement that fails after the write is logged,
    /// not returned (the job may run again and finds nothing new). Returns whether it was written.
    #[allow(clippy::too_many_arguments)]
    async fn put_profile_then(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        expected: u64,
        body: &[u8],
        folded: u64,
        notice: Option<&str>,
        done: Option<&Entry>,
    ) -> StoreResult<bool> {
        put_profile_then_apart(self, company, contact, expected, body, folded, notice, done).await
    }

    /// Contacts of `company` last active in `[from, to]` whose stored messages are ahead of their
    /// profile's folded position and who have no analysis queued (what the sweep re-queues).
    async fn behind(&self, company: &CompanyId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<ContactId>>;

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
    /// Sets `name` only if it is not set (SET NX): `true` for the first caller, so a thing is
    /// done once however many instances race.
    async fn claim_kv(&self, company: &CompanyId, name: &str, ttl_secs: u64) -> StoreResult<bool>;

    /// Adds each `(field, by)` to the company's counter hash `name`.
    async fn incr_counters(&self, company: &CompanyId, name: &str, fields: &[(String, i64)]) -> StoreResult<()>;
    /// Every field of the company's counter hash `name`.
    async fn counters(&self, company: &CompanyId, name: &str) -> StoreResult<Vec<(String, i64)>>;

    /// Queues a job for `contact` on `queue` (sharded by contact).
    async fn enqueue(&self, queue: Queue, company: &CompanyId, contact: &ContactId, payload: &str) -> StoreResult<()>;

    /// Reads up to `count` new entries of `queue` for `consumer` (over all shards together),
    /// waiting up to `block_ms` when there are none.
    async fn read_jobs(&self, queue: Queue, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Entry>>;

    /// Acknowledges (and deletes) a finished entry.
    async fn ack(&self, entry: &Entry) -> StoreResult<()>;

    /// Acknowledges `entry` and schedules `payload` (the job again, its attempt counted) to be
    /// queued after `delay`, in one step.
    async fn retry_later(&self, entry: &Entry, payload: &str, delay: Duration) -> StoreResult<()>;

    /// Moves retries that are due into their queue; returns how many moved.
    async fn promote_due(&self, queue: Queue) -> StoreResult<usize>;

    /// Takes over entries pending on *other* consumers for longer than `min_idle_ms` (a crashed
    /// worker's), at most `count`.
    async fn reclaim(&self, queue: Queue, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Entry>>;

    /// Entries handed out but not yet acknowledged, over all consumers.
    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64>;

    /// Every job not yet done: waiting, handed out, or waiting for a retry (the backlog gauge).
    async fn backlog(&self, queue: Queue) -> StoreResult<u64>;

    async fn dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()>;
    async fn dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>>;

    /// Tells every instance sharing the store that something changed (live panels: a profile or
    /// a draft). Best effort and not kept: a listener that is not connected misses it. The
    /// embedded store has no other instance to tell.
    async fn publish(&self, _payload: &str) -> StoreResult<()> {
        Ok(())
    }

    /// What [`Store::publish`] sends, from every instance (this one included), as it comes;
    /// `None` when the backend is a single process (memory). The stream ends when the
    /// connection drops; the caller subscribes again.
    async fn subscribe(&self) -> StoreResult<Option<futures::stream::BoxStream<'static, String>>> {
        Ok(None)
    }
}

/// Where a message came from, when not the `messages` webhook (`detail.source`): `history` (a
/// coexistence backfill), `business_app` (an echo of what the business typed in the WhatsApp
/// Business app), `standby` / `standby_echo` (copies while another responder handles the thread).
pub fn message_source(m: &Message) -> Option<&str> {
    m.detail.as_ref()?.get("source")?.as_str()
}

/// Whether a stored message moves the contact's `last_inbound`, where the 24-hour service window
/// runs from: a customer message, unless it was backfilled from the WhatsApp Business app's
/// history (the Cloud API's window never saw it: the app and the API keep separate windows).
pub fn opens_window(m: &Message) -> bool {
    m.is_inbound() && message_source(m) != Some("history")
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

/// Score of a message in the conversation ZSET: seconds shifted left 20 bits plus the position,
/// so equal timestamps keep arrival order. Exact in an f64 until the year 2100+.
pub fn log_score(ts: Timestamp, seq: u64) -> f64 {
    (ts.as_second() as f64) * 1_048_576.0 + (seq % 1_048_576) as f64
}

/// [`Store::put_profile_then`] as separate commands: the write, then (only once it is stored)
/// the notice and the acknowledgement. For stores that cannot do them in the write's own step.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn put_profile_then_apart<S: Store + ?Sized>(
    store: &S,
    company: &CompanyId,
    contact: &ContactId,
    expected: u64,
    body: &[u8],
    folded: u64,
    notice: Option<&str>,
    done: Option<&Entry>,
) -> StoreResult<bool> {
    if !store.put_profile(company, contact, expected, body, folded).await? {
        return Ok(false);
    }
    if let Some(n) = notice
        && let Err(e) = store.publish(n).await
    {
        tracing::debug!(error = %e, "could not publish a live notice");
    }
    if let Some(e) = done
        && let Err(err) = store.ack(e).await
    {
        tracing::warn!(error = %err, "ack failed; the job may run again (it finds nothing new)");
    }
    Ok(true)
}
