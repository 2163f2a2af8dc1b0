//! The job queues on Redis Streams: one stream per shard and queue, a consumer group per queue,
//! a `later` sorted set per stream for retries, and the dead-letter streams.

use super::reply::queue_slot;
use super::*;
use ::redis::streams::{StreamClaimReply, StreamReadReply};

impl RedisStore {
    pub(super) fn entries(&self, queue: Queue, reply: Vec<(String, Vec<::redis::streams::StreamId>)>) -> Vec<Entry> {
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

    pub(super) async fn xreadgroup(
        &self,
        conn: &mut Conn,
        queue: Queue,
        streams: &[String],
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
                cmd.arg("STREAMS").arg(streams);
                for _ in streams {
                    cmd.arg(">");
                }
                let mut conn = conn.clone();
                async move { cmd.query_async(&mut conn).await }
            })
            .await?;
        let got = reply
            .map(|r| r.keys.into_iter().map(|k| (k.key, k.ids)).collect())
            .unwrap_or_default();
        Ok(self.entries(queue, got))
    }

    pub(super) async fn queue_enqueue(
        &self,
        queue: Queue,
        company: &CompanyId,
        contact: &ContactId,
        payload: &str,
    ) -> StoreResult<()> {
        self.queue_enqueue_on(&mut self.c(), queue, company, contact, payload)
            .await
    }

    /// [`Self::queue_enqueue`] on a given connection (an acknowledged append waits for the
    /// replicas of what it wrote on its own connection).
    pub(super) async fn queue_enqueue_on(
        &self,
        conn: &mut Conn,
        queue: Queue,
        company: &CompanyId,
        contact: &ContactId,
        payload: &str,
    ) -> StoreResult<()> {
        let _t = timed("enqueue");
        ::redis::cmd("XADD")
            .arg(self.shard_key(queue, company, contact))
            .arg("*")
            .arg("job")
            .arg(payload)
            .query_async::<String>(conn)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    pub(super) async fn queue_read_jobs(
        &self,
        queue: Queue,
        consumer: &str,
        count: usize,
        block_ms: u64,
    ) -> StoreResult<Vec<Entry>> {
        // First a quick look at every stream, never taking more than `count` in all; then, if all
        // are empty, block until a job arrives: on a single node on all streams at once (a job on
        // any wakes the worker at once); in a Cluster, where one command cannot span slots, on one
        // stream, rotating, so a job elsewhere waits at most `block_ms`.
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
                self.xreadgroup(
                    &mut self.c(),
                    queue,
                    std::slice::from_ref(&stream),
                    consumer,
                    left,
                    None,
                )
                .await?,
            );
        }
        if !out.is_empty() || block_ms == 0 || count == 0 {
            return Ok(out);
        }
        // COUNT is per stream: block on at most `count` streams with `count / k` each, so even an
        // answer that covered several streams would not hold more than the worker has slots for.
        // (With fewer free slots than streams, some streams are left out of this block, rotating:
        // a worker that busy reads again as soon as a slot frees.)
        let k = if self.is_cluster() {
            1
        } else {
            (count as u32).min(self.streams).max(1)
        };
        let per = (count / k as usize).max(1);
        let streams: Vec<String> = (0..k)
            .map(|i| self.stream_key(queue, (start + i) % self.streams))
            .collect();
        let mut conn = self.blocking[queue_slot(queue)].lock().await;
        self.xreadgroup(&mut conn, queue, &streams, consumer, per, Some(block_ms))
            .await
    }

    pub(super) async fn queue_ack(&self, entry: &Entry) -> StoreResult<()> {
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

    pub(super) async fn queue_retry_later(&self, entry: &Entry, payload: &str, delay: Duration) -> StoreResult<()> {
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

    pub(super) async fn queue_promote_due(&self, queue: Queue) -> StoreResult<usize> {
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

    pub(super) async fn queue_reclaim(
        &self,
        queue: Queue,
        consumer: &str,
        min_idle_ms: u64,
        count: usize,
    ) -> StoreResult<Vec<Entry>> {
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

    pub(super) async fn queue_pending_jobs(&self, queue: Queue) -> StoreResult<u64> {
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

    pub(super) async fn queue_dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()> {
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

    pub(super) async fn queue_dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>> {
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
