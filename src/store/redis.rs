//! The Redis store (single node or Cluster). Per-contact writes are Lua scripts over keys that
//! share one hash tag, so they are atomic and one round trip; see the key table in [`super`].

use super::*;
use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::streams::{StreamClaimReply, StreamReadReply};
use ::redis::{Cmd, Pipeline, RedisError, RedisFuture, Script, Value};
use metrics::histogram;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const DEAD_MAXLEN: usize = 100_000;

/// One connection handle for both topologies, so the store code does not care which it talks to.
#[derive(Clone)]
pub enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Opens a connection from a `redis://`, `rediss://` or `redis+cluster://h1,h2` URL.
pub async fn connect(url: &str, response_timeout: Duration) -> Result<Conn, RedisError> {
    if let Some(rest) = url.strip_prefix("redis+cluster://") {
        let (auth, hosts) = match rest.rsplit_once('@') {
            Some((a, h)) => (format!("{a}@"), h),
            None => (String::new(), rest),
        };
        let nodes: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("redis://{auth}{h}"))
            .collect();
        let client = ::redis::cluster::ClusterClient::builder(nodes)
            .response_timeout(response_timeout)
            .connection_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Conn::Cluster(client.get_async_connection().await?))
    } else {
        let client = ::redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(response_timeout))
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(3);
        Ok(Conn::Single(client.get_connection_manager_with_config(config).await?))
    }
}

/// The Redis options the store needs, from `[redis]` and the worker's dedupe window.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    pub prefix: String,
    pub streams: u32,
    pub dedupe_ttl_secs: u64,
    pub response_timeout: Duration,
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
    behind_script: Script,
    retry_script: Script,
    promote_script: Script,
    /// Test-only fault injection: the next N enqueues that follow a stored message in a Cluster
    /// fail, as a crash between the two commands would leave them.
    enqueue_faults: AtomicU32,
}

fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn is_nogroup(e: &RedisError) -> bool {
    e.code() == Some("NOGROUP")
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Records how long a store call took, by operation, when dropped.
struct Timed(&'static str, Instant);

impl Drop for Timed {
    fn drop(&mut self) {
        histogram!("dossier_store_seconds", "op" => self.0).record(self.1.elapsed().as_secs_f64());
    }
}

fn timed(op: &'static str) -> Timed {
    Timed(op, Instant::now())
}

const APPEND_LUA: &str = r#"
-- KEYS: seen, arr, log, msg, contact, queued [, company index [, job stream]]
-- ARGV: ttl, message id, ts seconds, message json, inbound (1/0), profile_name, wa_id, user_id,
--       contact id, queued ttl (0 = no analysis) [, job json]
-- Returns 0 (duplicate), 1 (stored; nothing more to do) or 2 (stored; the caller queues the job).
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local pos = redis.call('RPUSH', KEYS[2], ARGV[2])
local ts = tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], string.format('%.0f', ts * 1048576 + (pos % 1048576)), ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
local c = KEYS[5]
redis.call('HSET', c, 'contact', ARGV[9])
if ARGV[6] ~= '' then redis.call('HSET', c, 'profile_name', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', c, 'wa_id', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', c, 'user_id', ARGV[8]) end
local seen = redis.call('HMGET', c, 'first_seen', 'last_seen', 'last_inbound')
if ts <= tonumber(seen[1] or ARGV[3]) then redis.call('HSET', c, 'first_seen', ARGV[3]) end
if ts >= tonumber(seen[2] or ARGV[3]) then redis.call('HSET', c, 'last_seen', ARGV[3]) end
if ARGV[5] == '1' then
  redis.call('HINCRBY', c, 'in', 1)
  if ts >= tonumber(seen[3] or ARGV[3]) then redis.call('HSET', c, 'last_inbound', ARGV[3]) end
else
  redis.call('HINCRBY', c, 'out', 1)
end
local queue = 0
if tonumber(ARGV[10]) > 0 and redis.call('SET', KEYS[6], '1', 'NX', 'EX', ARGV[10]) then queue = 1 end
-- Single node only (they live in other slots): the company index and the analysis job, so an
-- accepted message costs one round trip. In a Cluster the caller sends these separately.
if KEYS[7] then redis.call('ZADD', KEYS[7], 'GT', ARGV[3], ARGV[9]) end
if KEYS[8] then
  if queue == 1 then redis.call('XADD', KEYS[8], '*', 'job', ARGV[11]) end
  return 1
end
return 1 + queue
"#;

const READ_LUA: &str = r#"
-- KEYS: log, msg, st   ARGV: max score (exclusive, or '+inf'), limit
local max = ARGV[1]
if max ~= '+inf' then max = '(' .. max end
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], max, '-inf', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {{}, {}, {}} end
return {ids, redis.call('HMGET', KEYS[2], unpack(ids)), redis.call('HMGET', KEYS[3], unpack(ids))}
"#;

const SNAPSHOT_LUA: &str = r#"
-- KEYS: contact, doc, arr, msg, st, log, queued
-- ARGV: from (-1 = the doc's folded position), recent count, take queued (1/0), max messages
if ARGV[3] == '1' then redis.call('DEL', KEYS[7]) end
local rec = redis.call('HGETALL', KEYS[1])
local doc = redis.call('HMGET', KEYS[2], 'v', 'body', 'pos')
local stored = redis.call('LLEN', KEYS[3])
local folded = tonumber(doc[3] or '0')
local from = tonumber(ARGV[1])
if from < 0 then from = folded end
local ids, msgs, sts = {}, {}, {}
if from < stored then
  ids = redis.call('LRANGE', KEYS[3], from, from + tonumber(ARGV[4]) - 1)
  msgs = redis.call('HMGET', KEYS[4], unpack(ids))
  sts = redis.call('HMGET', KEYS[5], unpack(ids))
end
local rids, rmsgs, rsts = {}, {}, {}
local n = tonumber(ARGV[2])
if n > 0 then
  rids = redis.call('ZREVRANGE', KEYS[6], 0, n - 1)
  if #rids > 0 then
    rmsgs = redis.call('HMGET', KEYS[4], unpack(rids))
    rsts = redis.call('HMGET', KEYS[5], unpack(rids))
  end
end
return {rec, {doc[1] or '', doc[2] or ''}, folded, stored, from, msgs, sts, rmsgs, rsts}
"#;

const STATUS_LUA: &str = r#"
-- KEYS: st   ARGV: message id, rank, status json
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local r = 0
if cur then r = tonumber(string.sub(cur, 1, 1)) end
if tonumber(ARGV[2]) > r then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
  return 1
end
return 0
"#;

const CAS_LUA: &str = r#"
-- KEYS: doc   ARGV: expected version, body [, folded position]
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'body', ARGV[2])
if ARGV[3] then redis.call('HSET', KEYS[1], 'pos', ARGV[3]) end
return 1
"#;

const BEHIND_LUA: &str = r#"
-- KEYS: arr, doc, queued   Returns 1 when messages are stored past the folded position and no
-- analysis is queued.
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local folded = tonumber(redis.call('HGET', KEYS[2], 'pos') or '0')
if redis.call('LLEN', KEYS[1]) > folded then return 1 end
return 0
"#;

const RETRY_LUA: &str = r#"
-- KEYS: stream, later   ARGV: group, entry id, due ms, payload
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"#;

const PROMOTE_LUA: &str = r#"
-- KEYS: stream, later   ARGV: now ms, max
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('XADD', KEYS[1], '*', 'job', job)
  redis.call('ZREM', KEYS[2], job)
end
return #due
"#;

/// Most messages one snapshot returns (a rebuild of a longer conversation folds its newest part).
const SNAPSHOT_MAX: usize = 100_000;

fn queue_slot(q: Queue) -> usize {
    match q {
        Queue::Analysis => 0,
        Queue::Drafts => 1,
    }
}

fn bulk(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn int(v: &Value) -> u64 {
    match v {
        Value::Int(i) => (*i).max(0) as u64,
        other => bulk(other).and_then(|s| s.parse().ok()).unwrap_or(0),
    }
}

fn array(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        _ => &[],
    }
}

/// Every string in a (possibly nested) reply, flattened: multi-node replies come as maps or
/// arrays of per-node answers.
fn flatten(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) | Value::Set(a) => a.iter().for_each(|x| flatten(x, out)),
        Value::Map(m) => m.iter().for_each(|(k, x)| {
            flatten(k, out);
            flatten(x, out);
        }),
        other => out.extend(bulk(other)),
    }
}

fn record_from(h: &std::collections::HashMap<String, String>, contact: &ContactId) -> ContactRecord {
    ContactRecord {
        contact: h.get("contact").cloned().unwrap_or_else(|| contact.to_string()),
        profile_name: h.get("profile_name").cloned(),
        wa_id: h.get("wa_id").cloned(),
        user_id: h.get("user_id").cloned(),
        first_seen: ts_from_secs(h.get("first_seen")),
        last_seen: ts_from_secs(h.get("last_seen")),
        last_inbound: ts_from_secs(h.get("last_inbound")),
        messages_in: h.get("in").and_then(|v| v.parse().ok()).unwrap_or(0),
        messages_out: h.get("out").and_then(|v| v.parse().ok()).unwrap_or(0),
    }
}

/// A stored message JSON with its delivery status laid on.
fn decode_message(raw: &str, status: Option<&str>) -> StoreResult<Message> {
    let mut m: Message = serde_json::from_str(raw).map_err(corrupt)?;
    if let Some(st) = status
        && let Some((_, json)) = st.split_once('|')
        && let Ok(st) = serde_json::from_str::<StatusUpdate>(json)
    {
        st.apply_to(&mut m);
    }
    Ok(m)
}

impl RedisStore {
    /// Connects, and creates the consumer groups on every job stream (idempotent).
    pub async fn connect(url: &str, o: RedisOptions) -> Result<RedisStore, StoreError> {
        let conn = connect(url, o.response_timeout).await.map_err(unavailable)?;
        let blocking = [
            tokio::sync::Mutex::new(connect(url, o.response_timeout).await.map_err(unavailable)?),
            tokio::sync::Mutex::new(connect(url, o.response_timeout).await.map_err(unavailable)?),
        ];
        let store = RedisStore {
            conn,
            blocking,
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
            behind_script: Script::new(BEHIND_LUA),
            retry_script: Script::new(RETRY_LUA),
            promote_script: Script::new(PROMOTE_LUA),
            enqueue_faults: AtomicU32::new(0),
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
        let _t = timed("append_message");
        let json = serde_json::to_string(message).map_err(corrupt)?;
        let single = !self.is_cluster();
        let mut call = self
            .append_script
            .key(self.ck(company, contact, &format!("seen:{}", message.id)));
        call.key(self.ck(company, contact, "arr"))
            .key(self.ck(company, contact, "log"))
            .key(self.ck(company, contact, "msg"))
            .key(self.ck(company, contact, "contact"))
            .key(self.ck(company, contact, "queued"))
            .arg(self.dedupe_ttl_secs)
            .arg(message.id.as_str())
            .arg(message.timestamp.as_second())
            .arg(json)
            .arg(if message.is_inbound() { "1" } else { "0" })
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
        let stored: i64 = call.invoke_async(&mut self.c()).await.map_err(unavailable)?;
        if stored == 0 {
            return Ok(Appended::Duplicate);
        }
        if !single {
            ::redis::cmd("ZADD")
                .arg(self.co(company, "contacts"))
                .arg("GT")
                .arg(message.timestamp.as_second())
                .arg(contact.as_str())
                .query_async::<()>(&mut self.c())
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
                    self.enqueue(Queue::Analysis, company, contact, job).await
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
        format!("{}{{c:{}:{}}}:{}", self.prefix, company, contact, suffix)
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

    fn entries(&self, queue: Queue, reply: Vec<(String, Vec<::redis::streams::StreamId>)>) -> Vec<Entry> {
        let mut out = Vec::new();
        for (stream, ids) in reply {
            for sid in ids {
                let payload = sid
                    .map
                    .get("job")
                    .and_then(|v| ::redis::from_redis_value::<String>(v.clone()).ok());
                out.push(Entry {
                    queue,
                    stream: stream.clone(),
                    id: sid.id,
                    payload,
                    deliveries: sid.delivered_count.map_or(1, |d| d as u64),
                });
            }
        }
        out
    }

    async fn xreadgroup(
        &self,
        conn: &mut Conn,
        queue: Queue,
        stream: &str,
        consumer: &str,
        count: usize,
        block_ms: Option<u64>,
    ) -> StoreResult<Vec<Entry>> {
        let reply: Option<StreamReadReply> = self
            .with_groups(|| {
                let mut cmd = ::redis::cmd("XREADGROUP");
                cmd.arg("GROUP")
                    .arg(queue.as_str())
                    .arg(consumer)
                    .arg("COUNT")
                    .arg(count);
                if let Some(b) = block_ms {
                    cmd.arg("BLOCK").arg(b);
                }
                cmd.arg("STREAMS").arg(stream).arg(">");
                let mut conn = conn.clone();
                async move { cmd.query_async(&mut conn).await }
            })
            .await?;
        let got = reply
            .map(|r| r.keys.into_iter().map(|k| (k.key, k.ids)).collect())
            .unwrap_or_default();
        Ok(self.entries(queue, got))
    }
}

fn ts_from_secs(v: Option<&String>) -> Option<Timestamp> {
    v.and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| Timestamp::from_second(s).ok())
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

    async fn snapshot(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<Snapshot> {
        let _t = timed("snapshot");
        let from: i64 = match request.from {
            ReadFrom::Folded => -1,
            ReadFrom::After(n) => n.min(i64::MAX as u64) as i64,
        };
        let v: Value = self
            .snapshot_script
            .key(self.ck(company, contact, "contact"))
            .key(self.ck(company, contact, "doc:profile"))
            .key(self.ck(company, contact, "arr"))
            .key(self.ck(company, contact, "msg"))
            .key(self.ck(company, contact, "st"))
            .key(self.ck(company, contact, "log"))
            .key(self.ck(company, contact, "queued"))
            .arg(from)
            .arg(request.recent)
            .arg(if request.take_queued { "1" } else { "0" })
            .arg(SNAPSHOT_MAX)
            .invoke_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        let parts = array(&v);
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
        Ok(Snapshot {
            record,
            profile,
            folded,
            stored,
            messages,
            until,
            recent,
        })
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

    async fn enqueue(&self, queue: Queue, company: &CompanyId, contact: &ContactId, payload: &str) -> StoreResult<()> {
        let _t = timed("enqueue");
        ::redis::cmd("XADD")
            .arg(self.shard_key(queue, company, contact))
            .arg("*")
            .arg("job")
            .arg(payload)
            .query_async::<String>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn read_jobs(&self, queue: Queue, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Entry>> {
        // First a quick look at every stream, never taking more than `count` in all; then, if all
        // are empty, block on one of them (rotating) so an idle worker costs Redis almost nothing.
        let mut out = Vec::new();
        let start = self.next_block_stream.fetch_add(1, Ordering::Relaxed) as u32;
        for i in 0..self.streams {
            let left = count.saturating_sub(out.len());
            if left == 0 {
                break;
            }
            let n = (start + i) % self.streams;
            let stream = self.stream_key(queue, n);
            out.extend(
                self.xreadgroup(&mut self.c(), queue, &stream, consumer, left, None)
                    .await?,
            );
        }
        if !out.is_empty() || block_ms == 0 || count == 0 {
            return Ok(out);
        }
        let stream = self.stream_key(queue, start % self.streams);
        let mut conn = self.blocking[queue_slot(queue)].lock().await;
        self.xreadgroup(&mut conn, queue, &stream, consumer, count, Some(block_ms))
            .await
    }

    async fn ack(&self, entry: &Entry) -> StoreResult<()> {
        let _t = timed("ack");
        ::redis::pipe()
            .cmd("XACK")
            .arg(&entry.stream)
            .arg(entry.queue.as_str())
            .arg(&entry.id)
            .ignore()
            .cmd("XDEL")
            .arg(&entry.stream)
            .arg(&entry.id)
            .ignore()
            .query_async::<()>(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn retry_later(&self, entry: &Entry, payload: &str, delay: Duration) -> StoreResult<()> {
        let _t = timed("retry_later");
        let due = Timestamp::now().as_millisecond() + delay.as_millis() as i64;
        self.retry_script
            .key(&entry.stream)
            .key(Self::later_key(&entry.stream))
            .arg(entry.queue.as_str())
            .arg(&entry.id)
            .arg(due)
            .arg(payload)
            .invoke_async::<i64>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn promote_due(&self, queue: Queue) -> StoreResult<usize> {
        let now = Timestamp::now().as_millisecond();
        let mut moved = 0;
        for n in 0..self.streams {
            let stream = self.stream_key(queue, n);
            let k: i64 = self
                .promote_script
                .key(&stream)
                .key(Self::later_key(&stream))
                .arg(now)
                .arg(1000)
                .invoke_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            moved += k.max(0) as usize;
        }
        Ok(moved)
    }

    async fn reclaim(&self, queue: Queue, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Entry>> {
        let _t = timed("reclaim");
        let mut out = Vec::new();
        for n in 0..self.streams {
            let left = count.saturating_sub(out.len());
            if left == 0 {
                break;
            }
            let key = self.stream_key(queue, n);
            // (id, consumer, idle ms, deliveries)
            let pending: Vec<(String, String, u64, u64)> = self
                .with_groups(|| {
                    let mut cmd = ::redis::cmd("XPENDING");
                    cmd.arg(&key)
                        .arg(queue.as_str())
                        .arg("IDLE")
                        .arg(min_idle_ms)
                        .arg("-")
                        .arg("+")
                        .arg(left.max(1) * 4);
                    let mut conn = self.c();
                    async move { cmd.query_async(&mut conn).await }
                })
                .await?;
            // Our own pending entries are jobs in hand (a slow LLM call), not a dead consumer's.
            let theirs: Vec<&(String, String, u64, u64)> =
                pending.iter().filter(|p| p.1 != consumer).take(left).collect();
            if theirs.is_empty() {
                continue;
            }
            let mut cmd = ::redis::cmd("XCLAIM");
            cmd.arg(&key).arg(queue.as_str()).arg(consumer).arg(min_idle_ms);
            for (id, ..) in &theirs {
                cmd.arg(id);
            }
            let claimed: StreamClaimReply = cmd.query_async(&mut self.c()).await.map_err(unavailable)?;
            let counts: std::collections::HashMap<&str, u64> =
                theirs.iter().map(|(id, _, _, d)| (id.as_str(), *d)).collect();
            for mut sid in claimed.ids {
                let d = counts.get(sid.id.as_str()).copied().unwrap_or(1) + 1;
                sid.delivered_count = Some(d as usize);
                out.extend(self.entries(queue, vec![(key.clone(), vec![sid])]));
            }
        }
        Ok(out)
    }

    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64> {
        let mut total = 0;
        for n in 0..self.streams {
            let key = self.stream_key(queue, n);
            let v: Value = self
                .with_groups(|| {
                    let mut cmd = ::redis::cmd("XPENDING");
                    cmd.arg(&key).arg(queue.as_str());
                    let mut conn = self.c();
                    async move { cmd.query_async(&mut conn).await }
                })
                .await?;
            if let Some(c) = array(&v).first() {
                total += int(c);
            }
        }
        Ok(total)
    }

    async fn dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()> {
        let _t = timed("dead_letter");
        ::redis::cmd("XADD")
            .arg(self.dead_key(kind))
            .arg("MAXLEN")
            .arg("~")
            .arg(DEAD_MAXLEN)
            .arg("*")
            .arg("reason")
            .arg(reason)
            .arg("payload")
            .arg(payload)
            .arg("at")
            .arg(Timestamp::now().to_string())
            .query_async::<String>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>> {
        let reply: ::redis::streams::StreamRangeReply = ::redis::cmd("XREVRANGE")
            .arg(self.dead_key(kind))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.c())
            .await
            .map_err(unavailable)?;
        Ok(reply
            .ids
            .into_iter()
            .map(|sid| {
                let get = |k: &str| -> String {
                    sid.map
                        .get(k)
                        .and_then(|v| ::redis::from_redis_value::<String>(v.clone()).ok())
                        .unwrap_or_default()
                };
                DeadLetter {
                    reason: get("reason"),
                    payload: get("payload"),
                    at: get("at").parse().unwrap_or_else(|_| Timestamp::now()),
                }
            })
            .collect())
    }
}
