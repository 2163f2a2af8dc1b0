//! The embedded store: everything in process memory, nothing kept after exit. Same semantics as
//! the Redis store (the conformance suite checks both), so `dossier demo` shows the real flow.

use super::*;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;
use tokio::sync::Notify;

#[derive(Default)]
struct ContactData {
    /// Message ids in arrival order (position = index + 1).
    arr: Vec<String>,
    /// (seconds, position) → message id, kept sorted.
    log: BTreeMap<(i64, u64), String>,
    msgs: HashMap<String, Message>,
    statuses: HashMap<String, StatusUpdate>,
    record: ContactRecord,
    docs: HashMap<String, Doc>,
    /// The profile document's folded position.
    folded: u64,
    /// Until when an analysis job counts as queued.
    queued_until: Option<Instant>,
}

impl ContactData {
    fn queued(&self, now: Instant) -> bool {
        self.queued_until.is_some_and(|t| t > now)
    }

    fn message(&self, id: &str) -> Option<Message> {
        self.msgs.get(id).map(|m| with_status(m.clone(), self.statuses.get(id)))
    }
}

struct Pending {
    entry: Entry,
    consumer: String,
    since: Instant,
}

#[derive(Default)]
struct QueueData {
    ready: VecDeque<Entry>,
    pending: HashMap<String, Pending>,
    /// (due, payload) retries.
    later: Vec<(Instant, String)>,
}

#[derive(Default)]
struct Inner {
    contacts: HashMap<(String, String), ContactData>,
    seen: HashMap<(String, String, String), Instant>,
    settings: HashMap<String, Vec<u8>>,
    kv: HashMap<(String, String), (Vec<u8>, Instant)>,
    counters: HashMap<(String, String), std::collections::BTreeMap<String, i64>>,
    queues: HashMap<Queue, QueueData>,
    next_id: u64,
    dead: HashMap<&'static str, Vec<DeadLetter>>,
}

impl Inner {
    fn push(&mut self, queue: Queue, payload: &str) {
        self.next_id += 1;
        let id = format!("{}-0", self.next_id);
        self.queues.entry(queue).or_default().ready.push_back(Entry {
            queue,
            stream: "memory".into(),
            id,
            payload: Some(payload.to_owned()),
            deliveries: 0,
        });
    }
}

/// In-memory [`Store`].
pub struct MemoryStore {
    inner: Mutex<Inner>,
    jobs: Notify,
    dedupe_ttl: Duration,
}

impl MemoryStore {
    pub fn new(dedupe_ttl_secs: u64) -> Self {
        MemoryStore {
            inner: Mutex::new(Inner::default()),
            jobs: Notify::new(),
            dedupe_ttl: Duration::from_secs(dedupe_ttl_secs),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave half-written state that matters more than
        // availability here; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn key(company: &CompanyId, contact: &ContactId) -> (String, String) {
    (company.to_string(), contact.to_string())
}

fn with_status(mut m: Message, st: Option<&StatusUpdate>) -> Message {
    if let Some(st) = st {
        st.clone().apply_to(&mut m);
    }
    m
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn ready(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn durability(&self) -> Durability {
        Durability::Memory
    }

    async fn append_and_queue(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        message: &Message,
        update: &ContactUpdate,
        analysis: Option<&str>,
    ) -> StoreResult<Appended> {
        let queued = {
            let mut g = self.lock();
            let now = Instant::now();
            let seen_key = (company.to_string(), contact.to_string(), message.id.to_string());
            if let Some(at) = g.seen.get(&seen_key)
                && now.duration_since(*at) < self.dedupe_ttl
            {
                return Ok(Appended::Duplicate);
            }
            g.seen.insert(seen_key, now);
            let c = g.contacts.entry(key(company, contact)).or_default();
            c.arr.push(message.id.to_string());
            let pos = c.arr.len() as u64;
            c.log
                .insert((message.timestamp.as_second(), pos % 1_048_576), message.id.to_string());
            c.msgs.insert(message.id.to_string(), message.clone());
            let r = &mut c.record;
            r.contact = contact.to_string();
            if update.profile_name.is_some() {
                r.profile_name = update.profile_name.clone();
            }
            if update.wa_id.is_some() {
                r.wa_id = update.wa_id.clone();
            }
            if update.user_id.is_some() {
                r.user_id = update.user_id.clone();
            }
            let ts = message.timestamp;
            r.first_seen = Some(r.first_seen.map_or(ts, |f| f.min(ts)));
            r.last_seen = Some(r.last_seen.map_or(ts, |f| f.max(ts)));
            if message.is_inbound() {
                r.messages_in += 1;
                if opens_window(message) {
                    r.last_inbound = Some(r.last_inbound.map_or(ts, |f| f.max(ts)));
                }
            } else {
                r.messages_out += 1;
            }
            let queue = analysis.is_some() && !c.queued(now);
            if queue {
                c.queued_until = Some(now + Duration::from_secs(QUEUED_TTL_SECS));
            }
            if let (true, Some(job)) = (queue, analysis) {
                g.push(Queue::Analysis, job);
            }
            queue
        };
        if queued {
            self.jobs.notify_waiters();
        }
        Ok(Appended::New)
    }

    async fn messages(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        limit: usize,
        before: Option<Timestamp>,
    ) -> StoreResult<Vec<Message>> {
        let g = self.lock();
        let Some(c) = g.contacts.get(&key(company, contact)) else {
            return Ok(Vec::new());
        };
        let cut = before.map(|b| b.as_second());
        let mut out: Vec<Message> = c
            .log
            .iter()
            .rev()
            .filter(|((s, _), _)| cut.is_none_or(|b| *s < b))
            .take(limit)
            .filter_map(|(_, id)| c.message(id))
            .collect();
        out.reverse();
        Ok(out)
    }

    async fn messages_by_id(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        ids: &[MessageId],
    ) -> StoreResult<Vec<Message>> {
        let g = self.lock();
        let Some(c) = g.contacts.get(&key(company, contact)) else {
            return Ok(Vec::new());
        };
        Ok(ids.iter().filter_map(|id| c.message(id.as_str())).collect())
    }

    async fn replace_message(&self, company: &CompanyId, contact: &ContactId, message: &Message) -> StoreResult<bool> {
        let mut g = self.lock();
        let Some(c) = g.contacts.get_mut(&key(company, contact)) else {
            return Ok(false);
        };
        match c.msgs.get_mut(message.id.as_str()) {
            Some(m) => {
                *m = message.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn snapshot(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        request: SnapshotRequest,
    ) -> StoreResult<Snapshot> {
        let mut g = self.lock();
        let Some(c) = g.contacts.get_mut(&key(company, contact)) else {
            return Ok(Snapshot::default());
        };
        if request.take_queued {
            c.queued_until = None;
        }
        let stored = c.arr.len() as u64;
        let from = match request.from {
            ReadFrom::Folded => c.folded,
            ReadFrom::After(n) => n,
        };
        let messages: Vec<Positioned> = c
            .arr
            .iter()
            .enumerate()
            .skip(from as usize)
            .filter_map(|(i, id)| {
                c.message(id).map(|message| Positioned {
                    pos: i as u64 + 1,
                    message,
                })
            })
            .collect();
        let mut recent: Vec<Message> = c
            .log
            .values()
            .rev()
            .take(request.recent)
            .filter_map(|id| c.message(id))
            .collect();
        recent.reverse();
        Ok(Snapshot {
            record: (!c.record.contact.is_empty()).then(|| c.record.clone()),
            profile: c.docs.get("profile").cloned(),
            folded: c.folded,
            stored,
            messages,
            until: stored.max(from),
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
        let mut g = self.lock();
        let c = g.contacts.entry(key(company, contact)).or_default();
        let current = c.docs.get("profile").map_or(0, |d| d.version);
        if current != expected {
            return Ok(false);
        }
        c.docs.insert(
            "profile".into(),
            Doc {
                version: expected + 1,
                body: body.to_vec(),
            },
        );
        c.folded = folded;
        Ok(true)
    }

    async fn behind(&self, company: &CompanyId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<ContactId>> {
        let g = self.lock();
        let now = Instant::now();
        let mut out = Vec::new();
        for ((co, ct), c) in &g.contacts {
            let active = c.record.last_seen.is_some_and(|t| t >= from && t <= to);
            if co == company.as_str() && active && c.arr.len() as u64 > c.folded && !c.queued(now) {
                out.extend(ContactId::parse(ct.clone()).ok());
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
        let mut g = self.lock();
        let c = g.contacts.entry(key(company, contact)).or_default();
        let current = c.statuses.get(message_id.as_str()).map_or(0, StatusUpdate::rank);
        if update.rank() > current {
            c.statuses.insert(message_id.to_string(), update.clone());
        }
        Ok(())
    }

    async fn contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<Option<ContactRecord>> {
        let g = self.lock();
        Ok(g.contacts
            .get(&key(company, contact))
            .filter(|c| !c.record.contact.is_empty())
            .map(|c| c.record.clone()))
    }

    async fn contacts(&self, company: &CompanyId, limit: usize) -> StoreResult<Vec<ContactRecord>> {
        let g = self.lock();
        let mut v: Vec<ContactRecord> = g
            .contacts
            .iter()
            .filter(|((co, _), c)| co == company.as_str() && !c.record.contact.is_empty())
            .map(|(_, c)| c.record.clone())
            .collect();
        v.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.contact.cmp(&b.contact)));
        v.truncate(limit);
        Ok(v)
    }

    async fn doc(&self, company: &CompanyId, contact: &ContactId, name: &str) -> StoreResult<Option<Doc>> {
        let g = self.lock();
        Ok(g.contacts
            .get(&key(company, contact))
            .and_then(|c| c.docs.get(name).cloned()))
    }

    async fn put_doc(
        &self,
        company: &CompanyId,
        contact: &ContactId,
        name: &str,
        expected: u64,
        body: &[u8],
    ) -> StoreResult<bool> {
        let mut g = self.lock();
        let c = g.contacts.entry(key(company, contact)).or_default();
        let current = c.docs.get(name).map_or(0, |d| d.version);
        if current != expected {
            return Ok(false);
        }
        c.docs.insert(
            name.to_owned(),
            Doc {
                version: expected + 1,
                body: body.to_vec(),
            },
        );
        Ok(true)
    }

    async fn erase_contact(&self, company: &CompanyId, contact: &ContactId) -> StoreResult<()> {
        self.lock().contacts.remove(&key(company, contact));
        Ok(())
    }

    async fn settings(&self, company: &CompanyId) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.lock().settings.get(company.as_str()).cloned())
    }

    async fn put_settings(&self, company: &CompanyId, body: &[u8]) -> StoreResult<()> {
        self.lock().settings.insert(company.to_string(), body.to_vec());
        Ok(())
    }

    async fn put_kv(&self, company: &CompanyId, name: &str, value: &[u8], ttl_secs: u64) -> StoreResult<()> {
        let until = Instant::now() + Duration::from_secs(ttl_secs);
        self.lock()
            .kv
            .insert((company.to_string(), name.to_owned()), (value.to_vec(), until));
        Ok(())
    }

    async fn kv(&self, company: &CompanyId, name: &str) -> StoreResult<Option<Vec<u8>>> {
        let g = self.lock();
        Ok(g.kv
            .get(&(company.to_string(), name.to_owned()))
            .filter(|(_, until)| *until > Instant::now())
            .map(|(v, _)| v.clone()))
    }

    async fn claim_kv(&self, company: &CompanyId, name: &str, ttl_secs: u64) -> StoreResult<bool> {
        let mut g = self.lock();
        let key = (company.to_string(), name.to_owned());
        let now = Instant::now();
        if g.kv.get(&key).is_some_and(|(_, until)| *until > now) {
            return Ok(false);
        }
        g.kv.insert(key, (b"1".to_vec(), now + Duration::from_secs(ttl_secs.max(1))));
        Ok(true)
    }

    async fn incr_counters(&self, company: &CompanyId, name: &str, fields: &[(String, i64)]) -> StoreResult<()> {
        let mut g = self.lock();
        let h = g.counters.entry((company.to_string(), name.to_owned())).or_default();
        for (f, by) in fields {
            *h.entry(f.clone()).or_default() += by;
        }
        Ok(())
    }

    async fn counters(&self, company: &CompanyId, name: &str) -> StoreResult<Vec<(String, i64)>> {
        let g = self.lock();
        Ok(g.counters
            .get(&(company.to_string(), name.to_owned()))
            .map(|h| h.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default())
    }

    async fn enqueue(
        &self,
        queue: Queue,
        _company: &CompanyId,
        _contact: &ContactId,
        payload: &str,
    ) -> StoreResult<()> {
        self.lock().push(queue, payload);
        self.jobs.notify_waiters();
        Ok(())
    }

    async fn read_jobs(&self, queue: Queue, consumer: &str, count: usize, block_ms: u64) -> StoreResult<Vec<Entry>> {
        let deadline = Instant::now() + Duration::from_millis(block_ms);
        loop {
            let notified = self.jobs.notified();
            {
                let mut g = self.lock();
                let q = g.queues.entry(queue).or_default();
                let mut out = Vec::new();
                while out.len() < count {
                    let Some(mut e) = q.ready.pop_front() else {
                        break;
                    };
                    e.deliveries += 1;
                    q.pending.insert(
                        e.id.clone(),
                        Pending {
                            entry: e.clone(),
                            consumer: consumer.to_owned(),
                            since: Instant::now(),
                        },
                    );
                    out.push(e);
                }
                if !out.is_empty() || count == 0 {
                    return Ok(out);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tokio::time::timeout(left, notified).await.is_err() {
                return Ok(Vec::new());
            }
        }
    }

    async fn ack(&self, entry: &Entry) -> StoreResult<()> {
        self.lock()
            .queues
            .entry(entry.queue)
            .or_default()
            .pending
            .remove(&entry.id);
        Ok(())
    }

    async fn retry_later(&self, entry: &Entry, payload: &str, delay: Duration) -> StoreResult<()> {
        let mut g = self.lock();
        let q = g.queues.entry(entry.queue).or_default();
        q.pending.remove(&entry.id);
        q.later.push((Instant::now() + delay, payload.to_owned()));
        Ok(())
    }

    async fn promote_due(&self, queue: Queue) -> StoreResult<usize> {
        let moved = {
            let mut g = self.lock();
            let now = Instant::now();
            let q = g.queues.entry(queue).or_default();
            let (due, wait): (Vec<_>, Vec<_>) = std::mem::take(&mut q.later).into_iter().partition(|(t, _)| *t <= now);
            q.later = wait;
            for (_, payload) in &due {
                g.push(queue, payload);
            }
            due.len()
        };
        if moved > 0 {
            self.jobs.notify_waiters();
        }
        Ok(moved)
    }

    async fn reclaim(&self, queue: Queue, consumer: &str, min_idle_ms: u64, count: usize) -> StoreResult<Vec<Entry>> {
        let mut g = self.lock();
        let now = Instant::now();
        let idle = Duration::from_millis(min_idle_ms);
        let mut out = Vec::new();
        for p in g.queues.entry(queue).or_default().pending.values_mut() {
            if out.len() >= count {
                break;
            }
            if p.consumer != consumer && now.duration_since(p.since) >= idle {
                p.entry.deliveries += 1;
                p.consumer = consumer.to_owned();
                p.since = now;
                out.push(p.entry.clone());
            }
        }
        Ok(out)
    }

    async fn pending_jobs(&self, queue: Queue) -> StoreResult<u64> {
        Ok(self.lock().queues.get(&queue).map_or(0, |q| q.pending.len() as u64))
    }

    async fn backlog(&self, queue: Queue) -> StoreResult<u64> {
        Ok(self
            .lock()
            .queues
            .get(&queue)
            .map_or(0, |q| (q.ready.len() + q.pending.len() + q.later.len()) as u64))
    }

    async fn dead_letter(&self, kind: DeadKind, reason: &str, payload: &str) -> StoreResult<()> {
        self.lock().dead.entry(kind.as_str()).or_default().push(DeadLetter {
            reason: reason.to_owned(),
            payload: payload.to_owned(),
            at: Timestamp::now(),
        });
        Ok(())
    }

    async fn dead_letters(&self, kind: DeadKind, count: usize) -> StoreResult<Vec<DeadLetter>> {
        let g = self.lock();
        let v = g.dead.get(kind.as_str()).cloned().unwrap_or_default();
        Ok(v.into_iter().rev().take(count).collect())
    }
}
