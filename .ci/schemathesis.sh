#!/usr/bin/env bash
# schemathesis (PyPI) against a live `tern serve`: it reads
# /api/v1/openapi.json, generates requests for every operation (coverage,
# fuzzing and stateful phases) and fails on any 5xx or any response that
# does not match the document. Run by .ci/run after the tests, with the
# debug binary they built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET=${CARGO_TARGET_DIR:-target}
TERN="$TARGET/debug/tern"
[ -x "$TERN" ] || cargo build -q -p tern --bin tern
if ! command -v st >/dev/null 2>&1; then
    python3 -m pip install -q --disable-pip-version-check schemathesis ||
        { echo "cannot install schemathesis from PyPI" >&2; exit 1; }
fi
ST=$(command -v st || echo "python3 -m schemathesis.cli")
WORK=$(mktemp -d)
TOKEN=tern_schemathesis-$(date +%s)-0123456789abcdef
API=127.0.0.1:18961
TERN_BOOTSTRAP_TOKEN=$TOKEN RUST_LOG=warn "$TERN" --data-dir "$WORK" serve \
    --api-listen $API --dns-listen 127.0.0.1:18962 \
    --rate-limit read=0,create=0,update=0,delete=0,bulk=0 2>"$WORK/serve.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do
    curl -sf "http://$API/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
$ST run "http://$API/api/v1/openapi.json" \
    -H "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples 20 --seed 1 2>&1 | tail -25
