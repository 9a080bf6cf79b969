#!/usr/bin/env bash
# Instructions per packet of the dataplane's lcore loop, counted by callgrind (perf counters are not
# available on these VMs). For each case dp_bench runs twice under callgrind with a fixed packet
# count (P1, P2); the difference of the counts over P2 − P1 packets cancels start-up and warm-up.
#   worker: lcore::Worker::poll_once (RX burst, classify, flow table, rewrite, TX burst)
#   loop:   one lane's whole step, the generator's frame restore included (what mpps measures)
# Usage: bench/dp_instructions.sh [BUILD_DIR]   (prints one JSON line per case; env: P1=100000 and
#        P2=300000, the two packet counts)
set -euo pipefail
build=${1:-build}
bench="$build/bench/dp_bench"
[[ -x $bench ]] || { echo "dp_instructions: $bench not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "dp_instructions: valgrind missing (scripts/setup installs it)" >&2; exit 1; }
P1=${P1:-100000}
P2=${P2:-300000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() {  # count TOGGLE PACKETS ARGS... → Ir
  local toggle=$1 packets=$2
  shift 2
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --toggle-collect="$toggle" \
    "$bench" "$@" --packets "$packets" --seconds 1000 >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/cg.out"
}

per_packet() {  # per_packet TOGGLE ARGS...
  local toggle=$1
  shift
  local a b
  a=$(count "$toggle" "$P1" "$@")
  b=$(count "$toggle" "$P2" "$@")
  python3 -c "print(round(($b - $a) / ($P2 - $P1), 1))"
}

while read -r name args; do
  [[ -z $name ]] && continue
  # shellcheck disable=SC2086
  loop=$(per_packet '*run_lane*lambda*' $args)
  worker=null
  if [[ $name != io* ]]; then
    # shellcheck disable=SC2086
    worker=$(per_packet '*Worker::poll_once*' $args)
  fi
  echo "{\"bench\": \"dp_instructions\", \"case\": \"$name\", \"args\": \"$args\", \"instructions_per_packet_loop\": $loop, \"instructions_per_packet_worker\": $worker}"
done <<'CASES'
io              --mode io
dr_hit_1k       --mode dr --flows 1024
dr_hit_64k      --mode dr --flows 65536
nat_hit_1k      --mode nat --flows 1024
tun_hit_1k      --mode tun --flows 1024
dr_new          --mode dr --new-flows
nat_new         --mode nat --new-flows
tun_new         --mode tun --new-flows
CASES
