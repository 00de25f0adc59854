#!/usr/bin/env bash
# Native API write path against PowerDNS's API in the same run.
#
#   bench/api-write.sh                  # Tern on SQLite and PostgreSQL, then PowerDNS
#   bench/api-write.sh --no-pdns        # Tern only
#
# Tern: `tern serve` (release) on a fresh data dir, measured by
# bench/api-write.py (1000 single-record creates, one 1000-record batch,
# create-to-answer propagation, then 4 clients creating at once). A durability check follows on SQLite: the
# server is killed with SIGKILL right after the last acknowledged create and
# restarted; every acknowledged record must be there.
# PowerDNS: ../shared/bench/pdns-api-bench.sh (pdns_server + gsqlite3, the
# same client shape: one keep-alive connection, sequential requests).
# PostgreSQL: TERN_BENCH_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres)
# is used to create a fresh database; skipped if unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."
PDNS=1
[[ "${1:-}" == "--no-pdns" ]] && PDNS=0
cargo build --release -q -p tern --bin tern
TERN=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/tern
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
TOKEN=tern_bench-token-0123456789abcdefghijklmnop
API=18931
DNS=18932

start_tern() { # data-dir [database-url]
  local db=()
  [[ -n "${2:-}" ]] && db=(--database "$2")
  TERN_BOOTSTRAP_TOKEN=$TOKEN RUST_LOG=warn "$TERN" --data-dir "$1" "${db[@]}" serve \
    --api-listen 127.0.0.1:$API --dns-listen 127.0.0.1:$DNS \
    --rate-limit read=0,create=0,update=0,delete=0,bulk=0 2>>"$WORK/serve.log" &
  TERN_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$API/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "tern did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}

echo "== tern (sqlite)"
start_tern "$WORK/sqlite"
python3 bench/api-write.py --api-port $API --dns-port $DNS --token $TOKEN --label tern-sqlite --clients 4 | tee "$WORK/tern-sqlite.json"

echo "== durability: SIGKILL right after the last acknowledged create"
ZONE=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API/api/v1/domains?search=api.test" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
python3 - "$API" "$TOKEN" "$ZONE" <<'EOF'
import http.client, json, sys
port, token, zone = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
for i in range(500):
    c.request("POST", f"/api/v1/domains/{zone}/records", json.dumps({"name": f"durable-{i}", "type": "TXT", "content": f'"{i}"'}),
              {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
EOF
kill -9 "$TERN_PID"; wait "$TERN_PID" 2>/dev/null || true
start_tern "$WORK/sqlite"
COUNT=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$API/api/v1/domains/$ZONE/records?type=TXT&page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "acknowledged 500, found $COUNT after SIGKILL and restart"
[[ "$COUNT" == 500 ]] || { echo "LOST RECORDS" >&2; exit 1; }
kill "$TERN_PID"; wait "$TERN_PID" 2>/dev/null || true

PG_ADMIN=${TERN_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
if psql "$PG_ADMIN" -qtAc 'select 1' >/dev/null 2>&1; then
  echo "== tern (postgresql)"
  DBNAME=tern_bench_$$
  psql "$PG_ADMIN" -qc "CREATE DATABASE $DBNAME" >/dev/null
  start_tern "$WORK/pg" "${PG_ADMIN%/*}/$DBNAME"
  python3 bench/api-write.py --api-port $API --dns-port $DNS --token $TOKEN --label tern-postgres --clients 4 | tee "$WORK/tern-pg.json"
  kill "$TERN_PID"; wait "$TERN_PID" 2>/dev/null || true
  psql "$PG_ADMIN" -qc "DROP DATABASE $DBNAME WITH (FORCE)" >/dev/null
else
  echo "== tern (postgresql): SKIP, $PG_ADMIN not reachable"
fi

if [[ $PDNS == 1 ]]; then
  echo "== powerdns"
  bash ../shared/bench/pdns-api-bench.sh --profiles defaults 2>&1 | tail -25
fi
