#!/usr/bin/env bash
# Foundation benchmarks (issue 2): import and export of a ~1,000,000-record
# zone, peak RSS of the import, and the latency of single-record change sets
# committed into that zone, on SQLite and on PostgreSQL in the same run.
#
#   bench/write-path.sh                 # N=606000 hosts ≈ 1,000,000 records
#   N=60000 bench/write-path.sh         # quick run
#   PG_URL=postgres://user@host/db bench/write-path.sh
#
# Needs python3 (zone generator), /usr/bin/time, and for PostgreSQL psql.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-606000}
COMMITS=${COMMITS:-2000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
GEN=${GEN:-../shared/bench/gen-zone.py}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p tern --bin tern --example commit_latency
TARGET=${CARGO_TARGET_DIR:-target}
TERN=$TARGET/release/tern
COMMIT=$TARGET/release/examples/commit_latency

python3 "$GEN" -n "$N" --zone "$WORK/zone" --origin bench.test. >/dev/null 2>&1
records=$(grep -vc '^\$' "$WORK/zone")
echo "zone: bench.test., $records records, $(du -h "$WORK/zone" | cut -f1) on disk"
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"

run() {
  local label=$1 url=$2
  echo "== $label"
  /usr/bin/time -f "import: %e s wall, peak RSS %M KB" \
    "$TERN" --database "$url" zone import bench.test "$WORK/zone" 2>&1 >/dev/null | grep -E '^import:'
  /usr/bin/time -f "export: %e s wall, peak RSS %M KB" \
    "$TERN" --database "$url" zone export bench.test 2>&1 >"$WORK/export-$label" | grep -E '^export:'
  echo "exported lines: $(wc -l <"$WORK/export-$label")"
  echo -n "single-record commits: "
  "$COMMIT" "$url" bench.test "$COMMITS"
}

# Parse + validate only, against a peer doing the same work on the same file.
mkdir -p "$WORK/dry"
/usr/bin/time -f "tern parse+validate (import --dry-run): %e s wall, peak RSS %M KB" \
  "$TERN" --data-dir "$WORK/dry" zone import bench.test "$WORK/zone" --dry-run 2>&1 >/dev/null | grep -E '^tern parse'
if command -v nsd-checkzone >/dev/null; then
  /usr/bin/time -f "peer nsd-checkzone $(nsd -v 2>&1 | head -1 | grep -oE '[0-9.]+' | head -1): %e s wall, peak RSS %M KB" \
    nsd-checkzone bench.test "$WORK/zone" 2>&1 >/dev/null | grep -E '^peer'
fi

mkdir -p "$WORK/data"
run sqlite "sqlite://$WORK/data/tern.db?mode=rwc"

if psql "$PG_URL" -qAtc 'select 1' >/dev/null 2>&1; then
  db=tern_bench_$$
  psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
  run postgres "${PG_URL%/*}/$db"
  psql "$PG_URL" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
else
  echo "== postgres: SKIP ($PG_URL not reachable)"
fi
