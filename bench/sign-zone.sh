#!/usr/bin/env bash
# DNSSEC signing on the write path, beside the peers on the same zone file:
# Knot's kzonesign and BIND's dnssec-signzone (../shared/bench/sign-peers.sh,
# ECDSA P-256, NSEC3 with 0 iterations and no salt), and Tern turning
# signing on for the imported zone until it is committed and served signed
# (crates/tern/examples/sign_zone.rs), then single-record changes to the
# signed zone, each re-signed in its commit.
#
#   bench/sign-zone.sh                 # 100,000 generated hosts
#   HOSTS=1000000 bench/sign-zone.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-100000}
CHANGES=${CHANGES:-1000}
SHARED=${SHARED:-../shared/bench}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tern-sign-zone.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q -p tern --example sign_zone
TARGET=${CARGO_TARGET_DIR:-target}
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
python3 "$SHARED/gen-zone.py" -n "$HOSTS" --zone "$WORK/zone" >/dev/null
echo "zone: $HOSTS hosts, $(grep -vc '^\$' "$WORK/zone") lines"
# dnssec-signzone writes its dsset file into the working directory.
SHARED=$(readlink -f "$SHARED")
(cd "$WORK" && bash "$SHARED/sign-peers.sh" "$WORK/zone" bench.test.)
/usr/bin/time -f "tern process: wall_s=%e user_s=%U rss_mb=%M(kB)" \
  "$TARGET/release/examples/sign_zone" "sqlite://$WORK/tern.db?mode=rwc" "$WORK/zone" bench.test. "$CHANGES"
