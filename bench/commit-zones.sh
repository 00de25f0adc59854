#!/usr/bin/env bash
# Does a commit's cost grow with the number of zones the nameserver holds?
# (Issue 9: it must not; target p99 with 100,000 zones within 10 % of 10.)
# Each run starts from an empty database, creates the zones through
# ZoneService with the index listening, then times single-record commits
# into the first ten zones (crates/tern/examples/commit_zones.rs).
#
#   bench/commit-zones.sh                      # 10 and 100,000 zones, SQLite
#   ZONES="10 100000" COMMITS=3000 bench/commit-zones.sh
#   PG=1 bench/commit-zones.sh                 # PostgreSQL too (needs createdb)
set -euo pipefail
cd "$(dirname "$0")/.."
ZONES=${ZONES:-"10 100000"}
COMMITS=${COMMITS:-2000}
PG=${PG:-0}
PG_HOST=${PG_HOST:-127.0.0.1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-commit-zones.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p tern --example commit_zones
TARGET=${CARGO_TARGET_DIR:-target}
BENCH=$TARGET/release/examples/commit_zones
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"

for n in $ZONES; do
  echo -n "sqlite: "
  "$BENCH" "sqlite://$WORK/tern-$n.db?mode=rwc" "$n" "$COMMITS"
  if [ "$PG" = 1 ]; then
    db="tern_commit_zones_$$_$n"
    createdb -h "$PG_HOST" -U postgres "$db"
    echo -n "postgres: "
    "$BENCH" "postgres://postgres@$PG_HOST:5432/$db" "$n" "$COMMITS"
    dropdb -h "$PG_HOST" -U postgres "$db"
  fi
done
