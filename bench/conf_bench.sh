#!/usr/bin/env bash
# Times `vipd -t` against `keepalived -t` (config check) on one big generated config, so parse speed and memory can be compared.
#
# Usage: bench/conf_bench.sh [CONFIG]         (as root: it needs a network namespace)
#   CONFIG      config to check; when omitted, bench/gen_conf.py writes one with its defaults
#               (1,000 vrrp_instances, 10,000 virtual_servers x 10 real_servers) into a temp dir.
# Environment:
#   R=5         runs per tool; the tools alternate, and the order flips every round (ABBA...)
#   VIPD=build/vipd           vipd binary; skipped with a message when it is missing
#   KEEPALIVED=keepalived     keepalived binary
#   GEN_ARGS="..."            extra arguments for gen_conf.py (e.g. "--virtual-servers 2000")
#   RUN_TIMEOUT=120           per-run limit in seconds
#
# Both tools run inside a private namespace `vipdbench` holding veth interfaces eth0..ethN, so
# the interfaces the config names exist (keepalived rejects a config naming a missing one) and
# nothing on the host is touched. The namespace and temp files are removed on exit, always.
#
# What is measured, per run, by GNU time wrapped around `timeout` wrapped around the tool:
#   wall   elapsed seconds (%e)
#   peak   %M, the largest maximum RSS of any single process in the tree (the getrusage
#          ru_maxrss of the waited-for children), not the sum over processes. keepalived 2.2.7's
#          -t parses in one process (checked with strace: no fork), so for it this is exact; a
#          tool that forks parsing children is reported by its largest process.
#   cpu    user+sys seconds (%U+%S), which include every descendant that was waited for.
#   exit   the tool's exit status; 124 means it ran past RUN_TIMEOUT, 128+N killed by signal N.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
R=${R:-5}
VIPD=${VIPD:-$repo/build/vipd}
KEEPALIVED=${KEEPALIVED:-keepalived}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
NS=vipdbench
GNU_TIME=/usr/bin/time

die() { echo "conf_bench.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespace $NS)"
[ -x "$GNU_TIME" ] || die "$GNU_TIME not found: install the Debian package 'time' (scripts/setup lists it)"
command -v "$KEEPALIVED" >/dev/null || die "keepalived not found (KEEPALIVED=$KEEPALIVED)"
[[ "$R" =~ ^[1-9][0-9]*$ ]] || die "R must be a positive integer, got '$R'"
if ip netns list | awk '{print $1}' | grep -qx "$NS"; then
  die "namespace $NS already exists (another run, or a leftover: 'ip netns del $NS')"
fi

# Cleanup runs on every exit path; the namespace is deleted only if this run created it.
tmp=$(mktemp -d /tmp/conf_bench.XXXXXX)
ns_created=0
child=
cleanup() {
  # On an interrupt, stop the run in flight: GNU time, then whatever still runs in the namespace.
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null
  if [ "$ns_created" -eq 1 ]; then
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The config: the one given, or a freshly generated one.
if [ $# -ge 1 ]; then
  conf=$(realpath "$1")
  [ -r "$conf" ] || die "cannot read $conf"
else
  conf=$tmp/keepalived.conf
  # shellcheck disable=SC2086  # GEN_ARGS is a word list on purpose
  python3 "$here/gen_conf.py" ${GEN_ARGS:-} -o "$conf"
fi
lines=$(wc -l <"$conf")
bytes=$(wc -c <"$conf")

# One veth pair per interface the config names (eth0..ethN, at least eth0..eth3).
n_if=$(grep -oE '\binterface[[:space:]]+eth[0-9]+' "$conf" | grep -oE '[0-9]+$' | sort -n | tail -1 || true)
n_if=$(( ${n_if:-0} + 1 )); [ "$n_if" -ge 4 ] || n_if=4
ip netns add "$NS"
ns_created=1
ip -n "$NS" link set lo up
for ((i = 0; i < n_if; i++)); do
  ip -n "$NS" link add "eth$i" type veth peer name "b$i"
  ip -n "$NS" link set "eth$i" up
  ip -n "$NS" link set "b$i" up
done

# The tools to run, as name and command line.
declare -A cmd
tools=(keepalived)
cmd[keepalived]="$(command -v "$KEEPALIVED") -t -n -l -f $conf"
if [ -x "$VIPD" ]; then
  tools+=(vipd)
  cmd[vipd]="$VIPD -t -f $conf"
else
  echo "conf_bench.sh: vipd skipped: $VIPD is missing or not executable (build it, or set VIPD=path)" >&2
fi

# Warm the page cache so the first run does not pay for reading the file from disk.
cat "$conf" >/dev/null

# run TOOL N: one timed run; appends "wall peak_kb cpu exit" to $tmp/TOOL.runs.
run() {
  local tool=$1 n=$2 log="$tmp/$1.$2.log" tf="$tmp/$1.$2.time" rc=0
  # In the background, so that a signal to this script is handled at once rather than after the run.
  # shellcheck disable=SC2086  # the command line is split into words on purpose
  ip netns exec "$NS" "$GNU_TIME" -q -o "$tf" -f '%e %M %U %S %x' \
    timeout -k 5 "$RUN_TIMEOUT" ${cmd[$tool]} >"$log" 2>&1 </dev/null &
  child=$!
  wait "$child" || rc=$?
  child=
  [ -s "$tf" ] || die "GNU time wrote nothing for $tool run $n (exit $rc)"
  # The last line holds the figures. The exit code is taken from GNU time's own exit status,
  # which is the tool's status, 124 on timeout, or 128+N when killed by signal N (%x says 0 then).
  read -r wall peak user sys _ < <(tail -n 1 "$tf")
  code=$rc
  echo "$wall $peak $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') $code" >>"$tmp/$tool.runs"
  printf 'conf_bench.sh: %-10s run %d: %ss, %s KB peak, %ss cpu, exit %s\n' \
    "$tool" "$n" "$wall" "$peak" "$(tail -n 1 "$tmp/$tool.runs" | cut -d' ' -f3)" "$code" >&2
  if [ "$code" -ne 0 ]; then
    echo "conf_bench.sh: $tool exited $code; last lines of its output:" >&2
    tail -n 5 "$log" | sed 's/^/    /' >&2
  fi
}

echo "conf_bench.sh: $conf: $lines lines, $bytes bytes; $R runs per tool, $n_if interfaces in netns $NS" >&2
for ((n = 1; n <= R; n++)); do
  if ((n % 2)); then order=("${tools[@]}"); else order=(); for ((j = ${#tools[@]} - 1; j >= 0; j--)); do order+=("${tools[j]}"); done; fi
  for t in "${order[@]}"; do run "$t" "$n"; done
done

# median COLUMN FILE: median of one column (the mean of the middle two when R is even).
median() {
  cut -d' ' -f"$1" "$2" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Config: $lines lines, $bytes bytes ($(basename "$conf")); $R runs each; medians."
echo
echo "| tool | wall s | peak RSS MB | CPU s (user+sys) | exit code |"
echo "|---|---:|---:|---:|---|"
declare -A w m c
for t in "${tools[@]}"; do
  w[$t]=$(median 1 "$tmp/$t.runs")
  m[$t]=$(awk -v k="$(median 2 "$tmp/$t.runs")" 'BEGIN { printf "%.1f", k / 1024 }')
  c[$t]=$(median 3 "$tmp/$t.runs")
  codes=$(cut -d' ' -f4 "$tmp/$t.runs" | sort -un | paste -sd, -)
  printf '| %s | %.3f | %s | %.2f | %s |\n' "$t" "${w[$t]}" "${m[$t]}" "${c[$t]}" "$codes"
done
if [ -n "${w[vipd]:-}" ]; then
  echo
  awk -v wv="${w[vipd]}" -v wk="${w[keepalived]}" -v mv="${m[vipd]}" -v mk="${m[keepalived]}" \
      -v cv="${c[vipd]}" -v ck="${c[keepalived]}" '
    function ratio(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "n/a" }
    BEGIN { printf "vipd/keepalived: wall %s, peak RSS %s, CPU %s\n", ratio(wv, wk), ratio(mv, mk), ratio(cv, ck) }'
fi
