//! The Lua scripts: every per-contact write is one script over keys that share a hash tag.

pub(super) const APPEND_LUA: &str = r#"
-- KEYS: seen, arr, log, msg, contact, queued [, company index [, job stream]]
-- ARGV: ttl, message id, ts seconds, message json, inbound (1, 2 = inbound that does not open
--       the window, 0 = outbound), profile_name, wa_id, user_id,
--       contact id, queued ttl (0 = no analysis) [, job json]
-- Returns 0 (duplicate), 1 (stored; nothing more to do) or 2 (stored; the caller queues the job).
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
local pos = redis.call('RPUSH', KEYS[2], ARGV[2])
local ts = tonumber(ARGV[3])
redis.call('ZADD', KEYS[3], string.format('%.0f', ts * 1048576 + (pos % 1048576)), ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
local c = KEYS[5]
-- The record's fields, the message counter among them, in one HSET (a call per field costs
-- Redis more than the fields do; the counter is read with the times, so no HINCRBY).
local dir = 'in'
if ARGV[5] == '0' then dir = 'out' end
local seen = redis.call('HMGET', c, 'first_seen', 'last_seen', 'last_inbound', dir)
local f = {'contact', ARGV[9], dir, (tonumber(seen[4]) or 0) + 1}
if ARGV[6] ~= '' then f[#f + 1] = 'profile_name'; f[#f + 1] = ARGV[6] end
if ARGV[7] ~= '' then f[#f + 1] = 'wa_id'; f[#f + 1] = ARGV[7] end
if ARGV[8] ~= '' then f[#f + 1] = 'user_id'; f[#f + 1] = ARGV[8] end
if ts <= tonumber(seen[1] or ARGV[3]) then f[#f + 1] = 'first_seen'; f[#f + 1] = ARGV[3] end
if ts >= tonumber(seen[2] or ARGV[3]) then f[#f + 1] = 'last_seen'; f[#f + 1] = ARGV[3] end
if ARGV[5] == '1' and ts >= tonumber(seen[3] or ARGV[3]) then
  f[#f + 1] = 'last_inbound'; f[#f + 1] = ARGV[3]
end
redis.call('HSET', c, unpack(f))
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

pub(super) const READ_LUA: &str = r#"
-- KEYS: log, msg, st   ARGV: max score (exclusive, or '+inf'), limit
local max = ARGV[1]
if max ~= '+inf' then max = '(' .. max end
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], max, '-inf', 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {{}, {}, {}} end
return {ids, redis.call('HMGET', KEYS[2], unpack(ids)), redis.call('HMGET', KEYS[3], unpack(ids))}
"#;

pub(super) const SNAPSHOT_LUA: &str = r#"
-- KEYS: contact, doc, arr, msg, st, log, queued [, company settings (single node only)]
-- ARGV: from (-1 = the doc's folded position), recent count, take queued (1/0), max messages,
--       body elsewhere (1: the caller reads the document with HMGET in the same MULTI, 0: here)
if ARGV[3] == '1' then redis.call('DEL', KEYS[7]) end
local rec = redis.call('HGETALL', KEYS[1])
local doc
if ARGV[5] == '1' then
  local d = redis.call('HMGET', KEYS[2], 'v', 'pos')
  doc = {d[1], false, d[2]}
else
  doc = redis.call('HMGET', KEYS[2], 'v', 'body', 'pos')
end
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
local settings = false
if KEYS[8] then settings = redis.call('GET', KEYS[8]) end
return {rec, {doc[1] or '', doc[2] or ''}, folded, stored, from, msgs, sts, rmsgs, rsts, settings}
"#;

pub(super) const STATUS_LUA: &str = r#"
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

pub(super) const CAS_LUA: &str = r#"
-- KEYS: doc   ARGV: expected version, body [, folded position]
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'body', ARGV[2])
if ARGV[3] then redis.call('HSET', KEYS[1], 'pos', ARGV[3]) end
return 1
"#;

pub(super) const PROFILE_PUT_LUA: &str = r#"
-- Single node only: the stream is in another slot.
-- KEYS: doc, job stream ('' entry id = no ack)
-- ARGV: expected version, body, folded position, group, entry id, live channel, notice ('' = none)
-- The job is acknowledged (and deleted) in the same step as its write, never without it. The ack
-- and the notice cannot fail the write (pcall: a stream that lost its group still stores it).
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'body', ARGV[2], 'pos', ARGV[3])
if ARGV[5] ~= '' then
  redis.pcall('XACK', KEYS[2], ARGV[4], ARGV[5])
  redis.pcall('XDEL', KEYS[2], ARGV[5])
end
if ARGV[7] ~= '' then redis.pcall('PUBLISH', ARGV[6], ARGV[7]) end
return 1
"#;

pub(super) const BEHIND_LUA: &str = r#"
-- KEYS: arr, doc, queued   Returns 1 when messages are stored past the folded position and no
-- analysis is queued.
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local folded = tonumber(redis.call('HGET', KEYS[2], 'pos') or '0')
if redis.call('LLEN', KEYS[1]) > folded then return 1 end
return 0
"#;

pub(super) const RETRY_LUA: &str = r#"
-- KEYS: stream, later   ARGV: group, entry id, due ms, payload
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
return 1
"#;

pub(super) const PROMOTE_LUA: &str = r#"
-- KEYS: stream, later   ARGV: now ms, max
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, job in ipairs(due) do
  redis.call('XADD', KEYS[1], '*', 'job', job)
  redis.call('ZREM', KEYS[2], job)
end
return #due
"#;

/// Most messages one snapshot returns (a rebuild of a longer conversation folds its newest part).
pub(super) const SNAPSHOT_MAX: usize = 100_000;

pub(super) const REPLACE_LUA: &str = r#"
-- KEYS: msg   ARGV: message id, message json. Only an existing message is replaced.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#;
