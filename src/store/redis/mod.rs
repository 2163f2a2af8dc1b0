//! The Redis store (single node or Cluster). Per-contact writes are Lua scripts over keys that
//! share one hash tag, so they are atomic and one round trip; see the key table in [`super`].
//!
//! - [`scripts`]: the Lua sources; [`reply`]: decoding replies; [`queue`]: the job streams.

use super::*;
use reply::{array, bulk, decode_message, flatten, int, record_from};
use scripts::*;

mod conn;
mod queue;
mod reply;
mod scripts;

pub use conn::{Conn, connect};

use ::redis::{RedisError, Script, Value};
use metrics::histogram;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(super) const DEAD_MAXLEN: usize = 100_000;

/// The Redis options the store needs, from `[redis]` and the worker's dedupe window.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    pub prefix: String,
    pub streams: u32,
    pub dedupe_ttl_secs: u64,
    pub response_timeout: Duration,
    /// Replicas that must hold a stored message before it is acknowledged (`WAIT`); 0 trusts
    /// the master alone.
    pub ack_replicas: u32,
    pub ack_timeout: Duration,
}

/// [`Store`] on Redis.
pub struct RedisStore {
    conn: Conn,
    /// Blocking `XREADGROUP` gets its own connection per queue: on the shared multiplexed one it
    /// would stall every other caller for the whole block time, and the two queues' consumers
    /// must not wait for each other.
    blocking: [tokio::sync::Mutex<Conn>; 2],
    prefix: String,
    streams: u32,
    dedupe_ttl_secs: u64,
    next_block_stream: AtomicUsize,
    append_script: Script,
    read: Script,
    status: Script,
    cas: Script,
    snapshot_script: Script,
    profile_cas: Script,
    profile_put: Script,
    behind_script: Script,
    retry_script: Script,
    promote_script: Script,
    /// With `ack_replicas > 0`, appends run here: `WAIT` blocks its connection until the
    /// replicas answer, so it must not be the connection everything else shares, and it must be
    /// the one that wrote (WAIT covers the writes of its own connection).
    acked: Vec<tokio::sync::Mutex<Conn>>,
    next_acked: AtomicUsize,
    ack_replicas: u32,
    ack_timeout: Duration,
    /// Where pub/sub subscribes: the single node, or the Cluster's first node (classic PUBLISH
    /// is broadcast to every node of a Cluster, so one node hears all).
    pubsub_url: String,
    /// Test-only fault injection: the next N enqueues that follow a stored message in a Cluster
    /// fail, as a crash between the two commands would leave them.
    enqueue_faults: AtomicU32,
}

/// Connections kept for acknowledged appends (`ack_replicas > 0`): as many appends wait for
/// their replicas at once.
const ACKED_CONNECTIONS: usize = 16;

pub(super) fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(super) fn is_nogroup(e: &RedisError) -> bool {
    e.code() == Some("NOGROUP")
}

pub(super) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Records how long a store call took, by operation, when dropped.
pub(super) struct Timed(&'static str, Instant);

impl Drop for Timed {
    fn drop(&mut self) {
        histogram!("dossier_store_seconds", "op" => self.0).record(self.1.elapsed().as_secs_f64());
    }
}

pub(super) fn timed(op: &'static str) -> Timed {
    Timed(op, Instant::now())
}

impl RedisStore {
    /// Connects, and creates the consumer groups on every job stream (idempotent).
    pub async fn connect(url: &str, o: RedisOptions) -> Result<RedisStore, StoreError> {
        let conn = connect(url, o.response_timeout).await.map_err(unavailable)?;
        let blocking = [
            tokio::sync::Mutex::new(connect(url, o.response_timeout).await.map_err(unavailable)?),
            tokio::sync::Mutex::new(connect(url, o.response_timeout).await.map_err(unavailable)?),
        ];
        let mut acked = Vec::new();
        if o.ack_replicas > 0 {
            for _ in 0..ACKED_CONNECTIONS {
                acked.push(tokio::sync::Mutex::new(
                    connect(url, o.response_timeout).await.map_err(unavailable)?,
                ));
            }
        }
        let store = RedisStore {
            conn,
            blocking,
            acked,
            next_acked: AtomicUsize::new(0),
            ack_replicas: o.ack_replicas,
            ack_timeout: o.ack_timeout,
            prefix: o.prefix,
            streams: o.streams.max(1),
            dedupe_ttl_secs: o.dedupe_ttl_secs,
            next_block_stream: AtomicUsize::new(0),
            append_script: Script::new(APPEND_LUA),
            read: Script::new(READ_LUA),
            status: Script::new(STATUS_LUA),
            cas: Script::new(CAS_LUA),
            snapshot_script: Script::new(SNAPSHOT_LUA),
            profile_cas: Script::new(CAS_LUA),
            profile_put: Script::new(PROFILE_PUT_LUA),
            behind_script: Script::new(BEHIND_LUA),
            retry_script: Script::new(RETRY_LUA),
            promote_script: Script::new(PROMOTE_LUA),
            enqueue_faults: AtomicU32::new(0),
            pubsub_url: conn::pubsub_url(url),
        };
        store.ensure_groups().await?;
        Ok(store)
    }

    /// Test-only: the next `n` enqueues after a stored message fail (a Cluster sends them as a
    /// separate command, and a crash between the two is possible).
    #[doc(hidden)]
    pub fn inject_enqueue_faults(&self, n: u32) {
        self.enqueue_faults.store(n, Ordering::SeqCst);
    }

    /// Whether this store talks to a Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.conn, Conn::Cluster(_))
    }

    /// Creates every queue's consumer group (with its stream) where it is missing: at start, and
    /// again when a restarted, empty Redis answers `NOGROUP`.
    async fn ensure_groups(&self) -> StoreResult<()> {
        for q in Queue::ALL {
            for n in 0..self.streams {
                let r: Result<(), RedisError> = ::redis::cmd("XGROUP")
                    .arg("CREATE")
                    .arg(self.stream_key(q, n))
                    .arg(q.as_str())
                    .arg("0")
                    .arg("MKSTREAM")
                    .query_async(&mut self.c())
                    .await;
                if let Err(e) = r
                    && e.code() != Some("BUSYGROUP")
                {
                    return Err(unavailable(e));
                }
            }
        }
        Ok(())
    }

    /// Runs a queue command; on `NOGROUP` (Redis restarted empty) recreates the groups and runs
    /// it once more.
    async fn with_groups<T, F, Fut>(&self, f: F) -> StoreResult<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, RedisError>>,
    {
        match f().await {
            Err(e) if is_nogroup(&e) => {
                tracing::warn!("a job stream lost its consumer group (Redis restarted?); recreating the groups");
                metrics::counter!("dossier_queue_groups_recreated_total").increment(1);
                self.ensure_groups().await?;
                f().await.map_err(unavailable)
            }
            r => r.map_err(unavailable),
        }
    }

    /// Stores a message (deduplicated), updates the contact record and the company index, and
    /// queues the analysis job when the message is new and none is queued. One script call on a
    /// single node; in a Cluster the index and the job (other slots) follow as separate commands.
    async fn append(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        analysis: Option<&str>,
    ) -> StoreResult<Appended> {
        if self.acked.is_empty() {
            return self
                .append_on(self.c(), company, contact, message, update, analysis)
                .await;
        }
        let i = self.next_acked.fetch_add(1, Ordering::Relaxed) % self.acked.len();
        let conn = self.acked[i].lock().await;
        let appended = self
            .append_on(conn.clone(), company, contact, message, update, analysis)
            .await?;
        // A duplicate waits too: its first delivery may have been answered 503 for want of
        // replicas, and this retry is what makes it safe.
        let mut keys = vec![self.ck(company, contact, "arr")];
        if self.is_cluster() {
            keys.push(self.co(company, "contacts"));
            if analysis.is_some() {
                keys.push(self.shard_key(Queue::Analysis, company, contact));
            }
        }
        self.wait_replicas(&mut conn.clone(), &keys).await?;
        Ok(appended)
    }

    /// Waits until `ack_replicas` replicas hold this connection's writes to the nodes of
    /// `keys`, or fails (the caller answers 503 and the sender retries; the retry is a duplicate
    /// that waits again).
    async fn wait_replicas(&self, conn: &mut Conn, keys: &[String]) -> StoreResult<()> {
        let _t = timed("wait_replicas");
        let timeout = self.ack_timeout.as_millis() as u64;
        for key in keys {
            let n = conn.wait(key, self.ack_replicas, timeout).await.map_err(unavailable)?;
            if n < i64::from(self.ack_replicas) {
                return Err(StoreError::Unavailable(format!(
                    "stored, but only {n} of {} replicas confirmed within {timeout} ms",
                    self.ack_replicas
                )));
            }
        }
        Ok(())
    }

    async fn append_on(
        &self,
        mut conn: Conn,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        analysis: Option<&str>,
    ) -> StoreResult<Appended> {
        let _t = timed("append_message");
        let json = serde_json::to_string(message).map_err(corrupt)?;
        let single = !self.is_cluster();
        let mut call = self
            .append_script
            .key(self.ck2(company, contact, "seen:", message.id.as_str()));
        call.key(self.ck(company, contact, "arr"))
            .key(self.ck(company, contact, "log"))
            .key(self.ck(company, contact, "msg"))
            .key(self.ck(company, contact, "contact"))
            .key(self.ck(company, contact, "queued"))
            .arg(self.dedupe_ttl_secs)
            .arg(message.id.as_str())
            .arg(message.timestamp.as_second())
            .arg(json)
            .arg(match (message.is_inbound(), opens_window(message)) {
                (true, true) => "1",
                (true, false) => "2",
                (false, _) => "0",
            })
            .arg(update.profile_name.as_deref().unwrap_or(""))
            .arg(update.wa_id.as_deref().unwrap_or(""))
            .arg(update.user_id.as_deref().unwrap_or(""))
            .arg(contact.as_str())
            .arg(if analysis.is_some() { QUEUED_TTL_SECS } else { 0 });
        if single {
            call.key(self.co(company, "contacts"));
            if let Some(job) = analysis {
                call.key(self.shard_key(Queue::Analysis, company, contact)).arg(job);
            }
        }
        let stored: i64 = call.invoke_async(&mut conn).await.map_err(unavailable)?;
        if stored == 0 {
            return Ok(Appended::Duplicate);
        }
        if !single {
            ::redis::cmd("ZADD")
                .arg(self.co(company, "contacts"))
                .arg("GT")
                .arg(message.timestamp.as_second())
                .arg(contact.as_str())
                .query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)?;
            if stored == 2
                && let Some(job) = analysis
            {
                let faults = self.enqueue_faults.load(Ordering::SeqCst);
                let queued = if faults > 0 {
                    self.enqueue_faults.store(faults - 1, Ordering::SeqCst);
                    Err(StoreError::Unavailable("injected fault: enqueue after append".into()))
                } else {
                    self.queue_enqueue_on(&mut conn, Queue::Analysis, company, contact, job)
                        .await
                };
                if let Err(e) = queued {
                    // No job is waiting after all: lift the mark so the sweep (or the next
                    // message) queues one. A crash here leaves the mark until it expires.
                    let _ = ::redis::cmd("DEL")
                        .arg(self.ck(company, contact, "queued"))
                        .query_async::<()>(&mut self.c())
                        .await;
                    return Err(e);
                }
            }
        }
        Ok(Appended::New)
    }

    fn ck(&self, company: &CompanyId, contact: &ContactId, suffix: &str) -> String {
        self.ck2(company, contact, suffix, "")
    }

    /// `P{c:CO:CT}:<suffix><more>`, built in one allocation of the exact size (every stored
    /// message builds six of these).
    fn ck2(&self, company: &CompanyId, contact: &ContactId, suffix: &str, more: &str) -> String {
        let (co, ct) = (company.as_str(), contact.as_str());
        let mut k = String::with_capacity(self.prefix.len() + co.len() + ct.len() + suffix.len() + more.len() + 6);
        for part in [self.prefix.as_str(), "{c:", co, ":", ct, "}:", suffix, more] {
            k.push_str(part);
        }
        k
    }

    fn co(&self, company: &CompanyId, suffix: &str) -> String {
        format!("{}{{co:{}}}:{}", self.prefix, company, suffix)
    }

    fn stream_key(&self, q: Queue, n: u32) -> String {
        format!("{}{{{}:{}}}", self.prefix, q.stream_family(), n)
    }

    fn shard_key(&self, q: Queue, company: &CompanyId, contact: &ContactId) -> String {
        self.stream_key(q, stream_index(company.as_str(), contact.as_str(), self.streams))
    }

    fn later_key(stream: &str) -> String {
        format!("{stream}:later")
    }

    fn dead_key(&self, kind: DeadKind) -> String {
        format!("{}{{dead}}:{}", self.prefix, kind.as_str())
    }

    fn c(&self) -> Conn {
        self.conn.clone()
    }
}

#[async_trait]
impl Store for RedisStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> StoreResult<()> {
        let _t = timed("ping");
        ::redis::cmd("PING")
            .query_async::<String>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn ready(&self) -> StoreResult<()> {
        self.ping().await?;
        // A restarted, empty Redis has no streams and no groups: put them back (idempotent).
        for q in Queue::ALL {
            let exists: i64 = ::redis::cmd("EXISTS")
                .arg(self.stream_key(q, 0))
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            if exists == 0 {
                self.ensure_groups().await?;
            }
        }
        Ok(())
    }

    async fn durability(&self) -> Durability {
        let mut cmd = ::redis::cmd("CONFIG");
        cmd.arg("GET").arg("appendonly").arg("appendfsync");
        let reply = match &self.conn {
            Conn::Single(c) => cmd.query_async::<Value>(&mut c.clone()).await,
            Conn::Cluster(c) => {
                use ::redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
                c.clone()
                    .route_command(cmd, RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None)))
                    .await
            }
        };
        let reply = match reply {
            Ok(v) => v,
            Err(e) => {
                return Durability::Unknown {
                    why: format!("CONFIG GET failed: {e}"),
                };
            }
        };
        let mut flat = Vec::new();
        flatten(&reply, &mut flat);
        let values = |name: &str| -> Vec<String> {
            flat.windows(2)
                .filter(|w| w[0].eq_ignore_ascii_case(name))
                .map(|w| w[1].to_ascii_lowercase())
                .collect()
        };
        let aof = values("appendonly");
        let fsync = values("appendfsync");
        if aof.is_empty() {
            return Durability::Unknown {
                why: "CONFIG GET appendonly answered nothing".into(),
            };
        }
        if aof.iter().any(|v| v != "yes") {
            return Durability::NotDurable {
                why: "appendonly is no: a Redis restart loses every message since the last RDB snapshot (or all of them without one)".into(),
            };
        }
        // The weakest node decides.
        let fsync = if fsync.iter().any(|f| f == "no") {
            "no"
        } else if fsync.iter().any(|f| f == "everysec") {
            "everysec"
        } else {
            "always"
        };
        Durability::AppendOnly { fsync: fsync.into() }
    }

    async fn append_and_queue(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        analysis: Option<&str>,
    ) -> StoreResult<Appended> {
        self.append(company, contact, message, update, analysis).await
    }

    async fn messages(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        limit: usize,
        before: Option<Timestamp>,
    ) -> StoreResult<Vec<Message>> {
        let _t = timed("messages");
        let max = match before {
            Some(b) => format!("{:.0}", log_score(b, 0)),
            None => "+inf".to_owned(),
        };
        let (ids, msgs, sts): (Vec<String>, Vec<Option<String>>, Vec<Option<String>>) = self
            .read
            .key(self.ck(company, contact, "log"))
            .key(self.ck(company, contact, "msg"))
            .key(self.ck(company, contact, "st"))
            .arg(max)
            .arg(limit.max(1))
            .invoke_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        let mut out = Vec::with_capacity(ids.len());
        for (i, _id) in ids.iter().enumerate() {
            let Some(Some(raw)) = msgs.get(i) else {
                continue;
            };
            out.push(decode_message(raw, sts.get(i).and_then(|s| s.as_deref()))?);
        }
        out.reverse();
        Ok(out)
    }

    async fn messages_by_id(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        ids: &[MessageId],
    ) -> StoreResult<Vec<Message>> {
        let _t = timed("messages_by_id");
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = ::redis::cmd("HMGET");
        cmd.arg(self.ck(company, contact, "msg"));
        for id in ids {
            cmd.arg(id.as_str());
        }
        let raw: Vec<Option<String>> = cmd.query_async(&mut self.c()).await.map_err(unavailable)?;
        raw.into_iter()
            .flatten()
            .map(|r| serde_json::from_str(&r).map_err(corrupt))
            .collect()
    }

    async fn replace_message(&self, company: &CompanyId, contact: &ContactId, message: &Message) -> StoreResult<bool> {
        let _t = timed("replace_message");
        let json = serde_json::to_string(message).map_err(corrupt)?;
        let n: i64 = Script::new(REPLACE_LUA)
            .key(self.ck(company, contact, "msg"))
            .arg(message.id.as_str())
            .arg(json)
            .invoke_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(n == 1)
    }

    async fn snapshot(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<Snapshot> {
        let _t = timed("snapshot");
        let v = self.snapshot_call(company, contact, request, false).await?;
        Ok(snapshot_from(&v, contact)?.1)
    }

    async fn snapshot_with_settings(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<(Option<Vec<u8>>, Snapshot)> {
        let _t = timed("snapshot");
        if self.is_cluster() {
            // The settings live in the company's slot: a command of their own, sent alongside.
            let (settings, v) = futures::future::join(
                self.settings(company),
                self.snapshot_call(company, contact, request, false),
            )
            .await;
            return Ok((settings?, snapshot_from(&v?, contact)?.1));
        }
        let v = self.snapshot_call(company, contact, request, true).await?;
        snapshot_from(&v, contact)
    }

    async fn put_profile(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        expected: u64,
        body: &[u8],
        folded: u64,
    ) -> StoreResult<bool> {
        let _t = timed("put_profile");
        let ok: i64 = self
            .profile_cas
            .key(self.ck(company, contact, "doc:profile"))
            .arg(expected)
            .arg(body)
            .arg(folded)
            .invoke_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(ok == 1)
    }

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
        if self.is_cluster() {
            // The job stream is in another slot: the write, then the ack, as separate commands.
            return crate::store::put_profile_then_apart(self, company, contact, expected, body, folded, notice, done)
                .await;
        }
        let _t = timed("put_profile");
        let mut call = self.profile_put.key(self.ck(company, contact, "doc:profile"));
        match done {
            Some(e) => call
                .key(&e.stream)
                .arg(expected)
                .arg(body)
                .arg(folded)
                .arg(e.queue.as_str())
                .arg(&e.id),
            None => call.arg(expected).arg(body).arg(folded).arg("").arg(""),
        };
        call.arg(self.live_channel()).arg(notice.unwrap_or(""));
        let ok: i64 = call.invoke_async(&mut self.c()).await.map_err(unavailable)?;
        Ok(ok == 1)
    }

    async fn behind(&self, company: &CompanyId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<ContactId>> {
        let _t = timed("behind");
        let ids: Vec<String> = ::redis::cmd("ZRANGEBYSCORE")
            .arg(self.co(company, "contacts"))
            .arg(from.as_second())
            .arg(to.as_second())
            .arg("LIMIT")
            .arg(0)
            .arg(10_000)
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        let checks = ids
            .into_iter()
            .filter_map(|id| ContactId::parse(id).ok())
            .map(|cid| async move {
                let behind: Result<i64, RedisError> = self
                    .behind_script
                    .key(self.ck(company, &cid, "arr"))
                    .key(self.ck(company, &cid, "doc:profile"))
                    .key(self.ck(company, &cid, "queued"))
                    .invoke_async(&mut self.c())
                    .await;
                (cid, behind)
            });
        let mut out = Vec::new();
        for (cid, r) in futures::future::join_all(checks).await {
            if r.map_err(unavailable)? == 1 {
                out.push(cid);
            }
        }
        Ok(out)
    }

    async fn record_status(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message_id: &MessageId,
        update: &StatusUpdate,
    ) -> StoreResult<()> {
        let _t = timed("record_status");
        let json = serde_json::to_string(update).map_err(corrupt)?;
        self.status
            .key(self.ck(company, contact, "st"))
            .arg(message_id.as_str())
            .arg(update.rank())
            .arg(json)
            .invoke_async::<i64>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<Option<ContactRecord>> {
        let _t = timed("contact");
        let h: std::collections::HashMap<String, String> = ::redis::cmd("HGETALL")
            .arg(self.ck(company, contact, "contact"))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        if h.is_empty() {
            return Ok(None);
        }
        Ok(Some(record_from(&h, contact)))
    }

    async fn contacts(&self, company: &CompanyId, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        let _t = timed("contacts");
        let ids: Vec<String> = ::redis::cmd("ZREVRANGE")
            .arg(self.co(company, "contacts"))
            .arg(0)
            .arg(limit.max(1) as i64 - 1)
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        // One HGETALL per contact, all in flight at once: the multiplexed connection pipelines
        // them (a single pipeline would cross slots in a Cluster).
        let lookups = ids
            .into_iter()
            .filter_map(|id| ContactId::parse(id).ok())
            .map(|cid| async move { self.contact(company, &cid).await });
        let found = futures::future::join_all(lookups).await;
        found.into_iter().filter_map(Result::transpose).collect()
    }

    async fn doc(&self, company: &CompanyId, contact: &ContactId, name: &str) -> StoreResult<Option<Doc>> {
        let _t = timed("doc");
        let (v, body): (Option<u64>, Option<Vec<u8>>) = ::redis::cmd("HMGET")
            .arg(self.ck(company, contact, &format!("doc:{name}")))
            .arg("v")
            .arg("body")
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(match (v, body) {
            (Some(version), Some(body)) => Some(Doc { version, body }),
            _ => None,
        })
    }

    async fn put_doc(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        name: &str,
        expected: u64,
        body: &[u8],
    ) -> StoreResult<bool> {
        let _t = timed("put_doc");
        let ok: i64 = self
            .cas
            .key(self.ck(company, contact, &format!("doc:{name}")))
            .arg(expected)
            .arg(body)
            .invoke_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(ok == 1)
    }

    async fn erase_contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<()> {
        let _t = timed("erase_contact");
        let mut keys: Vec<String> = ["arr", "log", "msg", "st", "contact", "queued"]
            .iter()
            .map(|s| self.ck(company, contact, s))
            .collect();
        // Documents are few and named; find them by pattern within the contact's own keys.
        let pattern = self.ck(company, contact, "doc:*");
        let mut cursor: u64 = 0;
        loop {
            let (next, found): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            keys.extend(found);
            cursor = next;
            if cursor == 0 || self.is_cluster() {
                break;
            }
        }
        for name in ["profile", "draft"] {
            keys.push(self.ck(company, contact, &format!("doc:{name}")));
        }
        keys.sort();
        keys.dedup();
        for k in keys {
            ::redis::cmd("DEL")
                .arg(k)
                .query_async::<()>(&mut self.c())
                .await
                .map_err(unavailable)?;
        }
        ::redis::cmd("ZREM")
            .arg(self.co(company, "contacts"))
            .arg(contact.as_str())
            .query_async::<()>(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn settings(&self, company: &CompanyId) -> StoreResult<Option<Vec<u8>>> {
        ::redis::cmd("GET")
            .arg(self.co(company, "settings"))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn put_settings(&self, company: &CompanyId, body: &[u8]) -> StoreResult<()> {
        ::redis::cmd("SET")
            .arg(self.co(company, "settings"))
            .arg(body)
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn put_kv(&self, company: &CompanyId, name: &str, value: &[u8], ttl_secs: u64) -> StoreResult<()> {
        ::redis::cmd("SET")
            .arg(self.co(company, &format!("kv:{name}")))
            .arg(value)
            .arg("EX")
            .arg(ttl_secs.max(1))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn kv(&self, company: &CompanyId, name: &str) -> StoreResult<Option<Vec<u8>>> {
        ::redis::cmd("GET")
            .arg(self.co(company, &format!("kv:{name}")))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn claim_kv(&self, company: &CompanyId, name: &str, ttl_secs: u64) -> StoreResult<bool> {
        let set: Option<String> = ::redis::cmd("SET")
            .arg(self.co(company, &format!("kv:{name}")))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(ttl_secs.max(1))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    async fn incr_counters(&self, company: &CompanyId, name: &str, fields: &[(String, i64)]) -> StoreResult<()> {
        if fields.is_empty() {
            return Ok(());
        }
        let key = self.co(company, &format!("counters:{name}"));
        let mut pipe = ::redis::pipe();
        for (f, by) in fields {
            pipe.cmd("HINCRBY").arg(&key).arg(f).arg(*by).ignore();
        }
        pipe.query_async::<()>(&mut self.c()).await.map_err(unavailable)
    }

    async fn counters(&self, company: &CompanyId, name: &str) -> StoreResult<Vec<(String, i64)>> {
        ::redis::cmd("HGETALL")
            .arg(self.co(company, &format!("counters:{name}")))
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn enqueue(&self, queue: Queue, company: &CompanyId, contact: &ContactId, payload: &str) -> StoreResult<()> {
        self.queue_enqueue(queue, company, contact, payload).await
    }

    async fn read_jobs(&self, queue: Queue, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Entry>> {
        self.queue_read_jobs(queue, consumer, count, block_ms).await
    }

    async fn ack(&self, entry: &Entry) -> StoreResult<()> {
        self.queue_ack(entry).await
    }

    async fn retry_later(&self, entry: &Entry, payload: &str, delay: Duration) -> StoreResult<()> {
        self.queue_retry_later(entry, payload, delay).await
    }

    async fn promote_due(&self, queue: Queue) -> StoreResult<usize> {
        self.queue_promote_due(queue).await
    }

    async fn reclaim(&self, queue: Queue, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Entry>> {
        self.queue_reclaim(queue, consumer, min_idle_ms, count).await
    }

    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64> {
        self.queue_pending_jobs(queue).await
    }

    async fn backlog(&self, queue: Queue) -> StoreResult<u64> {
        // Entries are deleted when acknowledged, so a stream's length is its backlog.
        let mut total = 0u64;
        for n in 0..self.streams {
            let stream = self.stream_key(queue, n);
            let (len, later): (u64, u64) = ::redis::pipe()
                .cmd("XLEN")
                .arg(&stream)
                .cmd("ZCARD")
                .arg(Self::later_key(&stream))
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            total += len + later;
        }
        Ok(total)
    }

    async fn dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()> {
        self.queue_dead_letter(kind, reason, payload).await
    }

    async fn dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>> {
        self.queue_dead_letters(kind, count).await
    }

    async fn publish(&self, payload: &str) -> StoreResult<()> {
        let _t = timed("publish");
        ::redis::cmd("PUBLISH")
            .arg(self.live_channel())
            .arg(payload)
            .query_async::<i64>(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn subscribe(&self) -> StoreResult<Option<futures::stream::BoxStream<'static, String>>> {
        use futures::StreamExt;
        let client = ::redis::Client::open(self.pubsub_url.as_str()).map_err(unavailable)?;
        let mut pubsub = client.get_async_pubsub().await.map_err(unavailable)?;
        pubsub.subscribe(self.live_channel()).await.map_err(unavailable)?;
        let stream = pubsub
            .into_on_message()
            .filter_map(|m| async move { m.get_payload::<String>().ok() });
        Ok(Some(stream.boxed()))
    }
}

impl RedisStore {
    /// Runs the snapshot script; with `settings` (single node only) it also reads the company's
    /// settings key.
    async fn snapshot_call(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
        settings: bool,
    ) -> StoreResult<Value> {
        let from: i64 = match request.from {
            ReadFrom::Folded => -1,
            ReadFrom::After(n) => n.min(i64::MAX as u64) as i64,
        };
        let doc_key = self.ck(company, contact, "doc:profile");
        let single = !self.is_cluster();
        let mut keys = vec![
            self.ck(company, contact, "contact"),
            doc_key.clone(),
            self.ck(company, contact, "arr"),
            self.ck(company, contact, "msg"),
            self.ck(company, contact, "st"),
            self.ck(company, contact, "log"),
            self.ck(company, contact, "queued"),
        ];
        if settings {
            keys.push(self.co(company, "settings"));
        }
        if !single {
            let mut call = self.snapshot_script.prepare_invoke();
            for k in &keys {
                call.key(k);
            }
            call.arg(from)
                .arg(request.recent)
                .arg(if request.take_queued { "1" } else { "0" })
                .arg(SNAPSHOT_MAX)
                .arg("0");
            return call.invoke_async(&mut self.c()).await.map_err(unavailable);
        }
        // Single node: the document's body is read by a plain HMGET in the same MULTI/EXEC, so the
        // read stays atomic but the body never passes through Lua (a string of a few KB costs
        // Redis about 10 µs to enter a script, the HMGET under 1 µs).
        let mut eval = ::redis::cmd("EVALSHA");
        eval.arg(self.snapshot_script.get_hash())
            .arg(keys.len())
            .arg(&keys)
            .arg(from)
            .arg(request.recent)
            .arg(if request.take_queued { "1" } else { "0" })
            .arg(SNAPSHOT_MAX)
            .arg("1");
        let mut pipe = ::redis::pipe();
        pipe.atomic()
            .add_command(eval)
            .cmd("HMGET")
            .arg(&doc_key)
            .arg("v")
            .arg("body");
        let reply: Result<(Value, Value), RedisError> = pipe.query_async(&mut self.c()).await;
        let (mut v, doc) = match reply {
            Err(e) if e.code() == Some("NOSCRIPT") => {
                // A restarted (or flushed) Redis lost the script: load it, once.
                ::redis::cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(SNAPSHOT_LUA)
                    .query_async::<String>(&mut self.c())
                    .await
                    .map_err(unavailable)?;
                pipe.query_async(&mut self.c()).await.map_err(unavailable)?
            }
            r => r.map_err(unavailable)?,
        };
        if let Value::Array(parts) = &mut v
            && parts.len() > 1
        {
            parts[1] = doc;
        }
        Ok(v)
    }

    /// The live-panel channel of this deployment (its prefix).
    fn live_channel(&self) -> String {
        format!("{}{{live}}", self.prefix)
    }
}

/// Decodes the snapshot script's reply: the company settings (when read) and the snapshot.
fn snapshot_from(v: &Value, contact: &ContactId) -> StoreResult<(Option<Vec<u8>>, Snapshot)> {
    let parts = array(v);
    if parts.len() < 9 {
        return Err(corrupt("snapshot reply has the wrong shape"));
    }
    let rec = array(&parts[0]);
    let mut h = std::collections::HashMap::new();
    for kv in rec.chunks(2) {
        if let [k, v] = kv
            && let (Some(k), Some(v)) = (bulk(k), bulk(v))
        {
            h.insert(k, v);
        }
    }
    let record = (!h.is_empty()).then(|| record_from(&h, contact));
    let doc = array(&parts[1]);
    let version = doc.first().and_then(bulk).and_then(|s| s.parse::<u64>().ok());
    let body = match doc.get(1) {
        Some(Value::BulkString(b)) if !b.is_empty() => Some(b.clone()),
        _ => None,
    };
    let profile = match (version, body) {
        (Some(version), Some(body)) => Some(Doc { version, body }),
        _ => None,
    };
    let folded = int(&parts[2]);
    let stored = int(&parts[3]);
    let from = int(&parts[4]);
    let mut messages = Vec::new();
    let sts = array(&parts[6]);
    let until = from + array(&parts[5]).len() as u64;
    for (i, raw) in array(&parts[5]).iter().enumerate() {
        let Some(raw) = bulk(raw) else { continue };
        let st = sts.get(i).and_then(bulk);
        messages.push(Positioned {
            pos: from + i as u64 + 1,
            message: decode_message(&raw, st.as_deref())?,
        });
    }
    let mut recent = Vec::new();
    let rsts = array(&parts[8]);
    for (i, raw) in array(&parts[7]).iter().enumerate() {
        let Some(raw) = bulk(raw) else { continue };
        let st = rsts.get(i).and_then(bulk);
        recent.push(decode_message(&raw, st.as_deref())?);
    }
    recent.reverse();
    let settings = match parts.get(9) {
        Some(Value::BulkString(b)) => Some(b.clone()),
        _ => None,
    };
    Ok((
        settings,
        Snapshot {
            record,
            profile,
            folded,
            stored,
            messages,
            until,
            recent,
        },
    ))
}
