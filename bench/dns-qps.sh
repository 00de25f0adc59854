#!/usr/bin/env bash
# Nameserver throughput and efficiency against NSD and Knot in one run, with
# the shared peer harness (../shared/bench/run-peers.sh): the same generated
# zone and query mix, the server pinned to one core and dnsperf to the other.
#
#   bench/dns-qps.sh                    # N=10000 hosts (~16.5k records), 10 s each
#   bench/dns-qps.sh -n 100000 -l 20    # options go to run-peers.sh
#
# Tern imports the zone file into a fresh SQLite data dir, then serves it.
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=${HARNESS:-../shared/bench/run-peers.sh}
cargo build --release -q -p tern --bin tern
TERN=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/tern
CMD="$TERN --data-dir {WORKDIR}/tern zone import {ORIGIN} {ZONE} >/dev/null 2>&1 && \
exec $TERN --data-dir {WORKDIR}/tern serve --dns-listen 127.0.0.1:{PORT} --api-listen 127.0.0.1:0"
exec "$HARNESS" --servers nsd,knot --extra tern "$CMD" 15399 "$@"
