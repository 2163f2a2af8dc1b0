//! The Redis store (single node or Cluster). Per-contact writes are Lua scripts over keys that
//! share one hash tag, so they are atomic and one round trip; see the key table in [`super`].

use super::*;
use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster_async::ClusterConnection;
use ::redis::streams::{StreamClaimReply, StreamReadReply};
use ::redis::{Cmd, Pipeline, RedisError, RedisFuture, Script, Value};
use metrics::histogram;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const GROUP: &str = "analysis";
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

/// [`Store`] on Redis.
pub struct RedisStore {
    conn: Conn,
    /// Blocking `XREADGROUP` gets its own connection: on the shared multiplexed one it would
    /// stall every other caller for the whole block time.
    blocking: tokio::sync::Mutex<Conn>,
    prefix: String,
    streams: u32,
    dedupe_ttl_secs: u64,
    next_block_stream: AtomicUsize,
    append_script: Script,
    read: Script,
    status: Script,
    cas: Script,
}

fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
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
-- KEYS: seen, seq, log, msg, contact [, company index, job stream]
-- ARGV: ttl, message id, ts seconds, message json, inbound (1/0), profile_name, wa_id, user_id, contact id [, job json]
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local seq = redis.call('INCR', KEYS[2])
local ts = tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], string.format('%.0f', ts * 1048576 + (seq % 1048576)), ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
local c = KEYS[5]
redis.call('HSET', c, 'contact', ARGV[9])
if ARGV[6] ~= '' then redis.call('HSET', c, 'profile_name', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', c, 'wa_id', ARGV[7]) end
if ARGV[8] ~= '' then redis.call('HSET', c, 'user_id', ARGV[8]) end
local first = tonumber(redis.call('HGET', c, 'first_seen') or ARGV[3])
if ts <= first then redis.call('HSET', c, 'first_seen', ARGV[3]) end
local last = tonumber(redis.call('HGET', c, 'last_seen') or ARGV[3])
if ts >= last then redis.call('HSET', c, 'last_seen', ARGV[3]) end
if ARGV[5] == '1' then
  redis.call('HINCRBY', c, 'in', 1)
  local li = tonumber(redis.call('HGET', c, 'last_inbound') or ARGV[3])
  if ts >= li then redis.call('HSET', c, 'last_inbound', ARGV[3]) end
else
  redis.call('HINCRBY', c, 'out', 1)
end
-- Single node only (they live in other slots): the company index and the analysis job, so an
-- accepted message costs one round trip. In a Cluster the caller sends these separately.
if KEYS[6] then redis.call('ZADD', KEYS[6], 'GT', ARGV[3], ARGV[9]) end
if KEYS[7] then redis.call('XADD', KEYS[7], '*', 'job', ARGV[10]) end
return 1
"#;

const READ_LUA: &str = r#"
-- KEYS: log, msg, st   ARGV: max score (exclusive, or '+inf'), limit
local max = ARGV[1]
if max ~= '+inf' then max = '(' .. max end
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], max, '-inf', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {{}, {}, {}} end
return {ids, redis.call('HMGET', KEYS[2], unpack(ids)), redis.call('HMGET', KEYS[3], unpack(ids))}
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
-- KEYS: doc   ARGV: expected version, body
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'body', ARGV[2])
return 1
"#;

impl RedisStore {
    /// Connects, and creates the consumer group on every job stream (idempotent).
    pub async fn connect(
        url: &str,
        prefix: &str,
        streams: u32,
        dedupe_ttl_secs: u64,
        response_timeout: Duration,
    ) -> Result<RedisStore, StoreError> {
        let conn = connect(url, response_timeout).await.map_err(unavailable)?;
        let blocking = connect(url, response_timeout).await.map_err(unavailable)?;
        let store = RedisStore {
            conn,
            blocking: tokio::sync::Mutex::new(blocking),
            prefix: prefix.to_owned(),
            streams: streams.max(1),
            dedupe_ttl_secs,
            next_block_stream: AtomicUsize::new(0),
            append_script: Script::new(APPEND_LUA),
            read: Script::new(READ_LUA),
            status: Script::new(STATUS_LUA),
            cas: Script::new(CAS_LUA),
        };
        for n in 0..store.streams {
            let r: Result<(), RedisError> = ::redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(store.stream_key(n))
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query_async(&mut store.conn.clone())
                .await;
            if let Err(e) = r
                && e.code() != Some("BUSYGROUP")
            {
                return Err(unavailable(e));
            }
        }
        Ok(store)
    }

    /// Stores a message (deduplicated), updates the contact record and the company index, and
    /// queues `job` when the message is new. One script call on a single node; in a Cluster the
    /// index and the job (other slots) follow as separate commands.
    async fn append(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        job: Option<&Job>,
    ) -> StoreResult<Appended> {
        let _t = timed("append_message");
        let json = serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let job_json = job
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let single = matches!(self.conn, Conn::Single(_));
        let mut call = self
            .append_script
            .key(self.ck(company, contact, &format!("seen:{}", message.id)));
        call.key(self.ck(company, contact, "seq"))
            .key(self.ck(company, contact, "log"))
            .key(self.ck(company, contact, "msg"))
            .key(self.ck(company, contact, "contact"))
            .arg(self.dedupe_ttl_secs)
            .arg(message.id.as_str())
            .arg(message.timestamp.as_second())
            .arg(json)
            .arg(if message.is_inbound() { "1" } else { "0" })
            .arg(update.profile_name.as_deref().unwrap_or(""))
            .arg(update.wa_id.as_deref().unwrap_or(""))
            .arg(update.user_id.as_deref().unwrap_or(""))
            .arg(contact.as_str());
        if single {
            call.key(self.co(company, "contacts"));
            if let (Some(job), Some(job_json)) = (job, &job_json) {
                call.key(self.stream_key(stream_index(&job.company, &job.contact, self.streams)))
                    .arg(job_json);
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
            if let Some(job) = job {
                self.enqueue(job).await?;
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

    fn stream_key(&self, n: u32) -> String {
        format!("{}{{jobs:{}}}", self.prefix, n)
    }

    fn dead_key(&self, kind: DeadKind) -> String {
        format!("{}{{dead}}:{}", self.prefix, kind.as_str())
    }

    fn c(&self) -> Conn {
        self.conn.clone()
    }

    fn parse_deliveries(&self, reply: Vec<(String, Vec<::redis::streams::StreamId>)>, first: bool) -> Vec<Delivery> {
        let mut out = Vec::new();
        for (stream, ids) in reply {
            for sid in ids {
                let job = sid
                    .map
                    .get("job")
                    .and_then(|v| ::redis::from_redis_value::<String>(v.clone()).ok())
                    .and_then(|s| serde_json::from_str::<Job>(&s).ok());
                match job {
                    Some(job) => out.push(Delivery {
                        stream: stream.clone(),
                        id: sid.id,
                        job,
                        deliveries: if first {
                            1
                        } else {
                            sid.delivered_count.unwrap_or(2) as u64
                        },
                    }),
                    None => tracing::warn!(stream, id = sid.id, "job entry without a readable `job` field"),
                }
            }
        }
        out
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

    async fn append_message(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
    ) -> StoreResult<Appended> {
        self.append(company, contact, message, update, None).await
    }

    async fn append_and_enqueue(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        job: &Job,
    ) -> StoreResult<Appended> {
        self.append(company, contact, message, update, Some(job)).await
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
            let mut m: Message = serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Some(Some(st)) = sts.get(i)
                && let Some((_, json)) = st.split_once('|')
                && let Ok(st) = serde_json::from_str::<StatusUpdate>(json)
            {
                st.apply_to(&mut m);
            }
            out.push(m);
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
            .map(|r| serde_json::from_str(&r).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect()
    }

    async fn record_status(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message_id: &MessageId,
        update: &StatusUpdate,
    ) -> StoreResult<()> {
        let _t = timed("record_status");
        let json = serde_json::to_string(update).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
        Ok(Some(ContactRecord {
            contact: h.get("contact").cloned().unwrap_or_else(|| contact.to_string()),
            profile_name: h.get("profile_name").cloned(),
            wa_id: h.get("wa_id").cloned(),
            user_id: h.get("user_id").cloned(),
            first_seen: ts_from_secs(h.get("first_seen")),
            last_seen: ts_from_secs(h.get("last_seen")),
            last_inbound: ts_from_secs(h.get("last_inbound")),
            messages_in: h.get("in").and_then(|v| v.parse().ok()).unwrap_or(0),
            messages_out: h.get("out").and_then(|v| v.parse().ok()).unwrap_or(0),
        }))
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
        let mut keys: Vec<String> = ["log", "msg", "st", "seq", "contact"]
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
            if cursor == 0 || matches!(self.conn, Conn::Cluster(_)) {
                break;
            }
        }
        for name in ["profile", "state", "draft", "summary"] {
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

    async fn enqueue(&self, job: &Job) -> StoreResult<()> {
        let _t = timed("enqueue");
        let n = stream_index(&job.company, &job.contact, self.streams);
        let json = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        ::redis::cmd("XADD")
            .arg(self.stream_key(n))
            .arg("*")
            .arg("job")
            .arg(json)
            .query_async::<String>(&mut self.c())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn read_jobs(&self, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Delivery>> {
        // First a quick look at every stream; then, if all are empty, block on one of them
        // (rotating) so an idle worker costs Redis almost nothing.
        let mut got = Vec::new();
        for n in 0..self.streams {
            let reply: StreamReadReply = ::redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg(GROUP)
                .arg(consumer)
                .arg("COUNT")
                .arg(count)
                .arg("STREAMS")
                .arg(self.stream_key(n))
                .arg(">")
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            got.extend(reply.keys.into_iter().map(|k| (k.key, k.ids)));
        }
        let out = self.parse_deliveries(got, true);
        if !out.is_empty() || block_ms == 0 {
            return Ok(out);
        }
        let n = (self.next_block_stream.fetch_add(1, Ordering::Relaxed) % self.streams as usize) as u32;
        let mut conn = self.blocking.lock().await;
        let reply: Option<StreamReadReply> = ::redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block_ms)
            .arg("STREAMS")
            .arg(self.stream_key(n))
            .arg(">")
            .query_async(&mut *conn)
            .await
            .map_err(unavailable)?;
        let got = reply
            .map(|r| r.keys.into_iter().map(|k| (k.key, k.ids)).collect())
            .unwrap_or_default();
        Ok(self.parse_deliveries(got, true))
    }

    async fn ack(&self, delivery: &Delivery) -> StoreResult<()> {
        let _t = timed("ack");
        ::redis::pipe()
            .cmd("XACK")
            .arg(&delivery.stream)
            .arg(GROUP)
            .arg(&delivery.id)
            .ignore()
            .cmd("XDEL")
            .arg(&delivery.stream)
            .arg(&delivery.id)
            .ignore()
            .query_async::<()>(&mut self.c())
            .await
            .map_err(unavailable)
    }

    async fn reclaim(&self, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Delivery>> {
        let _t = timed("reclaim");
        let mut out = Vec::new();
        for n in 0..self.streams {
            let key = self.stream_key(n);
            // (id, consumer, idle ms, deliveries)
            let pending: Vec<(String, String, u64, u64)> = ::redis::cmd("XPENDING")
                .arg(&key)
                .arg(GROUP)
                .arg("IDLE")
                .arg(min_idle_ms)
                .arg("-")
                .arg("+")
                .arg(count)
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            if pending.is_empty() {
                continue;
            }
            let mut cmd = ::redis::cmd("XCLAIM");
            cmd.arg(&key).arg(GROUP).arg(consumer).arg(min_idle_ms);
            for (id, ..) in &pending {
                cmd.arg(id);
            }
            let claimed: StreamClaimReply = cmd.query_async(&mut self.c()).await.map_err(unavailable)?;
            let counts: std::collections::HashMap<&str, u64> =
                pending.iter().map(|(id, _, _, d)| (id.as_str(), *d)).collect();
            for mut sid in claimed.ids {
                let d = counts.get(sid.id.as_str()).copied().unwrap_or(1) + 1;
                sid.delivered_count = Some(d as usize);
                out.extend(self.parse_deliveries(vec![(key.clone(), vec![sid])], false));
            }
        }
        Ok(out)
    }

    async fn pending_jobs(&self) -> StoreResult<u64> {
        let mut total = 0;
        for n in 0..self.streams {
            let v: Value = ::redis::cmd("XPENDING")
                .arg(self.stream_key(n))
                .arg(GROUP)
                .query_async(&mut self.c())
                .await
                .map_err(unavailable)?;
            if let Value::Array(items) = v
                && let Some(Value::Int(c)) = items.first()
            {
                total += *c as u64;
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
