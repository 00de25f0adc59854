#!/usr/bin/env bash
# DNSSEC signing on the write path, beside the peers on the same zone file:
# Knot's kzonesign and BIND's dnssec-signzone (../shared/bench/sign-peers.sh,
# ECDSA P-256, NSEC3 with 0 iterations and no salt), and Tern turning
# signing on for the imported zone until it is committed and served signed
# (crates/tern/examples/sign_zone.rs), then single-record changes to the
# signed zone, each re-signed in its commit.
#
# The machine is noisy: ROUNDS rounds (default 3) each run the peers and
# then Tern on the same file, and the summary gives each round's ratio
# Tern / kzonesign and their median.
#
#   bench/sign-zone.sh                 # 100,000 generated hosts
#   HOSTS=606000 ROUNDS=1 bench/sign-zone.sh   # about 1,000,000 records
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${HOSTS:-100000}
ROUNDS=${ROUNDS:-3}
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
RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round"
  PEERS=$(cd "$WORK" && bash "$SHARED/sign-peers.sh" "$WORK/zone" bench.test.)
  echo "$PEERS"
  rm -f "$WORK"/tern.db*
  TERN_OUT=$(/usr/bin/time -f "tern process: wall_s=%e user_s=%U rss_mb=%M(kB)" \
    "$TARGET/release/examples/sign_zone" "sqlite://$WORK/tern.db?mode=rwc" "$WORK/zone" bench.test. "$CHANGES" 2>&1)
  echo "$TERN_OUT"
  knot=$(sed -n 's/^kzonesign wall_s=\([0-9.]*\).*/\1/p' <<<"$PEERS")
  tern=$(sed -n 's/.*sign_wall_s=\([0-9.]*\).*/\1/p' <<<"$TERN_OUT")
  ratio=$(python3 -c "print(f'{$tern / $knot:.2f}')")
  echo "  round $round: Tern $tern s / kzonesign $knot s = $ratio"
  RATIOS+=("$ratio")
done
echo "ratios Tern/kzonesign: ${RATIOS[*]}; median $(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
