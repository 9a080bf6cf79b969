#!/usr/bin/env bash
# Counts the instructions `vipd -t` and `keepalived -t` execute on the same generated config, with
# callgrind: a figure that does not move with the load of a shared machine (perf counters are not
# available on every VM). Default size is a tenth of conf_bench.sh's (callgrind runs ~50x slower).
# Usage: bench/conf_instructions.sh   (as root: it needs a network namespace); env: GEN_ARGS as for
#        gen_conf.py (default "--instances 100 --virtual-servers 1000"), VIPD=build/vipd,
#        KEEPALIVED=keepalived (from PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
vipd=${VIPD:-build/vipd}
keepalived=${KEEPALIVED:-$(command -v keepalived)}
work=$(mktemp -d)
ns="vipdinsn-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck disable=SC2086
python3 bench/gen_conf.py ${GEN_ARGS:---instances 100 --virtual-servers 1000} -o "$work/k.conf"
ip netns add "$ns"
for i in 0 1 2 3; do ip -n "$ns" link add "eth$i" type veth peer name "ci$i"; done
count() {  # count NAME CMD...: prints the instruction total callgrind measured
  # Only a run that judged the whole file counts: a tool that stops early (a refused config, a crash,
  # a kill) still yields a total, a smaller one, which would flatter the ratio.
  local name=$1 rc=0; shift
  ip netns exec "$ns" valgrind --tool=callgrind --callgrind-out-file="$work/$name.out" "$@" >/dev/null 2>"$work/$name.log" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "$name exited $rc on the generated config (want 0); its log ends:" >&2
    tail -20 "$work/$name.log" >&2
    return 1
  fi
  grep -oE 'Collected : [0-9]+' "$work/$name.log" | grep -oE '[0-9]+'
}
lines=$(wc -l < "$work/k.conf")
k=$(count keepalived "$keepalived" -t -n -l -f "$work/k.conf") || exit 1
v=$(count vipd "$vipd" -t -f "$work/k.conf") || exit 1
echo "| tool | instructions | per config line |"
echo "|---|---:|---:|"
echo "| keepalived | $k | $((k / lines)) |"
echo "| vipd | $v | $((v / lines)) |"
python3 -c "print(f'vipd/keepalived instructions: {$v / $k:.3f} ($lines lines)')"
