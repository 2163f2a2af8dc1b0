#!/usr/bin/env bash
# Worker drain benchmark: store a backlog through the real webhook with the worker off, then start
# `dossier worker` and time it until every queue is empty (entries are deleted when acknowledged).
#
#   bash examples/bench_worker_drain.sh target/release/dossier target/release/examples/loadgen 100000 1000
#
# Prints the number of jobs queued, the drain time, jobs/s and messages folded/s. Uses its own
# key prefix on REDIS_URL (default redis://127.0.0.1:6379) and port 18080; needs redis-cli.
set -euo pipefail
bin=${1:?dossier binary}; loadgen=${2:?loadgen binary}; messages=${3:-100000}; contacts=${4:-1000}
concurrency=${CONCURRENCY:-16}
prefix="benchdrain$RANDOM$RANDOM:"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379} WHATSAPP_APP_SECRET=bench-secret WHATSAPP_VERIFY_TOKEN=v \
  DOSSIER_ADMIN_TOKEN=bench-admin DOSSIER_SERVER__LISTEN=127.0.0.1:18080 DOSSIER_REDIS__KEY_PREFIX="$prefix" \
  RUST_LOG=warn
streams=$(for q in jobs drafts; do for n in 0 1 2 3; do echo "$prefix{$q:$n}"; done; done)
backlog() { local t=0; for s in $streams; do t=$((t + $(redis-cli XLEN "$s"))); done; echo $t; }
DOSSIER_WORKER__ENABLED=false "$bin" serve & serve=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break; sleep 0.1; done
"$loadgen" --url http://127.0.0.1:18080 --messages "$messages" --concurrency 64 --contacts "$contacts" \
  --secret bench-secret --admin-token bench-admin --no-verify >/dev/null
kill "$serve"; wait "$serve" 2>/dev/null || true
queued=$(backlog)
start=$(date +%s.%N)
DOSSIER_WORKER__CONCURRENCY=$concurrency "$bin" worker & worker=$!
while [ "$(backlog)" -gt 0 ]; do sleep 0.2; done
end=$(date +%s.%N)
kill "$worker"; wait "$worker" 2>/dev/null || true
secs=$(echo "$end - $start" | bc -l)
printf 'queued %d jobs for %d messages; drained in %.2f s: %.0f jobs/s, %.0f messages folded/s\n' \
  "$queued" "$messages" "$secs" "$(echo "$queued / $secs" | bc -l)" "$(echo "$messages / $secs" | bc -l)"
redis-cli --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli DEL >/dev/null
