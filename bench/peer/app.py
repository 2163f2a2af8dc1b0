"""The Python peer of issue #14's ingestion benchmark: what dossier's webhook does, in FastAPI.

Verify `X-Hub-Signature-256` on the raw body (constant time), parse, and for every message:
deduplicate by id (8 days), store it, update the contact and the company index, queue its
analysis job -- one Lua script per message, as dossier does on a single node. 200 only after
Redis answered. Run with two uvicorn workers (the two cores):

    REDIS_URL=redis://127.0.0.1:6379 WHATSAPP_APP_SECRET=bench-secret \
      uvicorn app:app --workers 2 --port 18181 --no-access-log --log-level warning
"""

import hashlib
import hmac
import os

import orjson
import redis.asyncio as redis
from fastapi import FastAPI, Request, Response

SECRET = os.environ.get("WHATSAPP_APP_SECRET", "bench-secret").encode()
PREFIX = os.environ.get("PEER_PREFIX", "peer:")
STORE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', 691200) == false then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[4], 'last_seen', ARGV[3], 'wa_id', ARGV[4])
redis.call('ZADD', KEYS[5], 'GT', ARGV[3], ARGV[4])
redis.call('XADD', KEYS[6], '*', 'job', ARGV[5])
return 1
"""

app = FastAPI()
pool = redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"), max_connections=64)
store = pool.register_script(STORE)


@app.post("/webhooks/whatsapp")
async def receive(request: Request) -> Response:
    body = await request.body()
    given = request.headers.get("x-hub-signature-256", "")
    want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given, want):
        return Response('{"error":"bad signature"}', status_code=401, media_type="application/json")
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Response('{"error":"not json"}', status_code=400, media_type="application/json")
    for entry in envelope.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value", {})
            pnid = value.get("metadata", {}).get("phone_number_id", "")
            for m in value.get("messages", []):
                wa, mid = m["from"], m["id"]
                tag = f"{PREFIX}{{c:{pnid}:{wa}}}"
                job = orjson.dumps({"kind": "analyze", "company": pnid, "contact": wa}).decode()
                await store(
                    keys=[f"{tag}:seen:{mid}", f"{tag}:msg", f"{tag}:log", f"{tag}:contact",
                          f"{PREFIX}{{co:{pnid}}}:contacts", f"{PREFIX}{{jobs:0}}"],
                    args=[mid, orjson.dumps(m), m.get("timestamp", "0"), wa, job],
                )
    return Response("ok", media_type="text/plain")
