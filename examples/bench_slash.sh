#!/usr/bin/env bash
# `/dossier profile` end to end: fills a key prefix with 20,000 messages over 1,000 contacts
# through the webhook (worker on, so every contact has a profile), then posts signed slash
# commands for one contact at 8 and 32 concurrent and prints the load generator's percentiles.
#
#   bash examples/bench_slash.sh target/release/dossier target/release/examples/loadgen target/release/examples/slash_load
set -euo pipefail
bin=${1:?dossier binary}; loadgen=${2:?loadgen binary}; slash=${3:?slash_load binary}
prefix="benchslash$RANDOM$RANDOM:"
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379} WHATSAPP_APP_SECRET=bench-secret WHATSAPP_VERIFY_TOKEN=v \
  DOSSIER_ADMIN_TOKEN=bench-admin DOSSIER_SERVER__LISTEN=127.0.0.1:18080 DOSSIER_REDIS__KEY_PREFIX="$prefix" \
  SLACK_SIGNING_SECRET=bench-slack RUST_LOG=warn
"$bin" serve & serve=$!
trap 'kill $serve 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/18080) 2>/dev/null && break; sleep 0.1; done
"$loadgen" --url http://127.0.0.1:18080 --messages 20000 --concurrency 32 --contacts 1000 \
  --secret bench-secret --admin-token bench-admin --no-verify >/dev/null
sleep 5
for c in 8 32; do
  echo "concurrency $c: $("$slash" --url http://127.0.0.1:18080 --team T0DEMOMOTR --contact 900000000001 -n 5000 -c "$c" | tail -1)"
done
kill $serve; wait $serve 2>/dev/null || true
redis-cli --scan --pattern "$prefix*" | xargs -r -n 500 redis-cli DEL >/dev/null
