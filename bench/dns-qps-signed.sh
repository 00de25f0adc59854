#!/usr/bin/env bash
# DO=1 query throughput of a signed zone: Tern against Knot signing the same
# generated zone (ECDSA P-256, one combined key, NSEC3 with 0 iterations and
# no salt on both), with the shared peer harness (../shared/bench/run-peers.sh):
# the same zone file and query mix, each server pinned to one core and
# dnsperf to the other. Every query carries DO: dnsperf is wrapped to add -D,
# so answers carry RRSIGs and NSEC3 proofs. RSS is the server's after the
# run, as the harness reports it.
#
#   bench/dns-qps-signed.sh                  # N=10000 hosts, 10 s each
#   bench/dns-qps-signed.sh -n 100000 -l 20  # options go to run-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HARNESS=$(readlink -f "${HARNESS:-../shared/bench/run-peers.sh}")
cargo build --release -q -p tern --bin tern
TERN=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)/tern
DNSPERF=$(command -v dnsperf)
WRAP=$(mktemp -d "${TMPDIR:-/tmp}/tern-do-bench.XXXXXX")
trap 'rm -rf "$WRAP"' EXIT
printf '#!/bin/sh\nexec %s -D "$@"\n' "$DNSPERF" >"$WRAP/dnsperf"
chmod +x "$WRAP/dnsperf"
export PATH="$WRAP:$PATH"

# Knot signs the zone itself on load (automatic signing, the policy below).
KNOT="d={WORKDIR}/knot-signed; mkdir -p \$d/db \$d/keys; cat >\$d/knot.conf <<EOF
server:
    rundir: \"\$d\"
    listen: 127.0.0.1@{PORT}
    udp-workers: {THREADS}
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: \"\$d/db\"
keystore:
  - id: default
    backend: pem
    config: \"\$d/keys\"
policy:
  - id: bench
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: \"\$d\"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    dnssec-signing: on
    dnssec-policy: bench
zone:
  - domain: \"{ORIGIN}\"
    file: \"{ZONE}\"
EOF
exec knotd -c \$d/knot.conf"

# Tern imports the file, turns signing on (the same defaults), then serves.
TERN_CMD="$TERN --data-dir {WORKDIR}/tern zone import {ORIGIN} {ZONE} >/dev/null 2>&1 && \
$TERN --data-dir {WORKDIR}/tern dnssec enable {ORIGIN} >/dev/null 2>&1 && \
exec $TERN --data-dir {WORKDIR}/tern serve --dns-listen 127.0.0.1:{PORT} --api-listen 127.0.0.1:0"

exec "$HARNESS" --servers none --extra knot-signed "$KNOT" 15398 --extra tern-signed "$TERN_CMD" 15399 "$@"
