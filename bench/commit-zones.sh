#!/usr/bin/env bash
# Does a commit's cost grow with the number of zones the nameserver holds?
# (Issue 9: it must not; target p99 with 100,000 zones within 10 % of 10.)
# Each size starts from an empty database, creates the zones through
# ZoneService with the index listening, then times single-record commits
# into its first ten zones, the sizes taken in turn commit by commit
# (crates/tern/examples/commit_zones.rs).
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

# Both sizes go to one process, which takes them in turn commit by commit:
# a noisy moment hits both alike, so their ratio is what the run measures.
sqlite_args=()
pg_args=()
pg_dbs=()
for n in $ZONES; do
  sqlite_args+=("sqlite://$WORK/tern-$n.db?mode=rwc" "$n")
  if [ "$PG" = 1 ]; then
    db="tern_commit_zones_$$_$n"
    createdb -h "$PG_HOST" -U postgres "$db"
    pg_dbs+=("$db")
    pg_args+=("postgres://postgres@$PG_HOST:5432/$db" "$n")
  fi
done
echo "sqlite:"
"$BENCH" "$COMMITS" "${sqlite_args[@]}"
if [ "$PG" = 1 ]; then
  echo "postgres:"
  "$BENCH" "$COMMITS" "${pg_args[@]}"
  for db in "${pg_dbs[@]}"; do dropdb -h "$PG_HOST" -U postgres "$db"; done
fi
