# The harness of the tests that run kernel-mode vipd processes on the namespace LAN (vrrp_vipd.sh,
# vrrp_hostile.sh): sourced from the repository's root once they set NAME (the lab's prefix). Sets the
# lab's addresses (NET, IF, VIP, LB1, LB2), LAB, VIPD, T0 and tmp, skips (77) where the test cannot
# run, keeps each vipd's PID, log and statistics file by a key (lb1, lb2, …), ends what it started at
# exit (by PID, and the lab), and waits for events (a log line, an address, a counter) under a deadline.
# shellcheck shell=bash

ROOT=$PWD
LAB=$ROOT/scripts/lab
VIPD=${VIPD:-$ROOT/build/vipd}
NET=192.168.140
IF=ens33
VIP=$NET.100
LB1=$NET.10
LB2=$NET.11
T0=${EPOCHREALTIME/[.,]/}

# shellcheck source=tests/netns/report.sh
source "$(dirname "${BASH_SOURCE[0]}")/report.sh"
lib_require_root
lib_require_cmds ip
[ -x "$VIPD" ] || lib_die "$VIPD not built (ninja -C build vipd)"
lib_require_netns
tmp=$(mktemp -d "/tmp/$NAME.XXXXXX")

declare -A PID=() LOG=() STATS=() RUNS=()
BG=()  # helper processes (ip monitor, a sender)

# alive PID / end_pid PID: shared with the other netns scripts.
# shellcheck source=tests/netns/proc.sh
source "$(dirname "${BASH_SOURCE[0]}")/proc.sh"
cleanup() {
  local k p
  trap - INT TERM
  for k in "${!PID[@]}"; do [ -n "${PID[$k]}" ] && end_pid "${PID[$k]}"; done
  for p in "${BG[@]}"; do end_pid "$p"; done
  # Also ends whatever vipd spawned there (notify and track scripts), by PID.
  "$LAB" down --name "$NAME" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# start_vipd KEY NODE CONF: vipd in NAME-NODE on CONF, its log a new file each run; waits (5 s) for
# the pid file
start_vipd() {
  local key=$1 node=$2 conf=$3 n i
  n=$((${RUNS[$key]:-0} + 1)); RUNS[$key]=$n
  LOG[$key]=$tmp/$key.$n.log; STATS[$key]=$tmp/$key.stats
  rm -f "$tmp/$key.pid"
  ip netns exec "$NAME-$node" "$VIPD" -n -l -f "$conf" -p "$tmp/$key.pid" --stats-file "${STATS[$key]}" >"${LOG[$key]}" 2>&1 &
  PID[$key]=$!
  for ((i = 0; i < 100; i++)); do
    [ "$(cat "$tmp/$key.pid" 2>/dev/null)" = "${PID[$key]}" ] && return 0
    alive "${PID[$key]}" || break
    sleep 0.05
  done
  echo "# vipd $key did not start:"; sed 's/^/#   /' "${LOG[$key]}"
  return 1
}

log_count() { grep -cF -- "$2" "${LOG[$1]}" 2>/dev/null; }  # log_count KEY TEXT
log_lines() { wc -l <"${LOG[$1]}"; }
log_since() { tail -n "+$(($2 + 1))" "${LOG[$1]}"; }          # log_since KEY LINES: what came after
# wait_log KEY TEXT MS [N]: until TEXT appears N times (default once) in KEY's log
wait_log() {
  local key=$1 text=$2 ms=$3 n=${4:-1} end i
  end=$(($(now_ms) + ms))
  for ((i = 0; i < ms / 20 + 10; i++)); do
    [ "$(log_count "$key" "$text")" -ge "$n" ] && return 0
    [ "$(now_ms)" -ge "$end" ] && break
    sleep 0.02
  done
  [ "$(log_count "$key" "$text")" -ge "$n" ]
}
# has_vip NODE ADDR (no `| grep -q` under pipefail: ip flushes per line and would die of SIGPIPE)
has_vip() { local a; a=$(ip -n "$NAME-$1" -o -4 addr show dev "$IF" 2>/dev/null) || return 1; [[ $a == *" $2/"* ]]; }
# wait_vip NODE ADDR MS [absent]: until NODE holds ADDR (or no longer holds it); WAITED = ms taken
wait_vip() {
  local node=$1 addr=$2 ms=$3 want=${4:-present} start end i t
  start=$(now_ms); end=$((start + ms))
  for ((i = 0; i < ms / 10 + 10; i++)); do
    if has_vip "$node" "$addr"; then [ "$want" = present ] && break; else [ "$want" = absent ] && break; fi
    t=$(now_ms); [ "$t" -ge "$end" ] && { WAITED=$((t - start)); return 1; }
    sleep 0.01
  done
  WAITED=$(($(now_ms) - start))
  [ "$WAITED" -le "$ms" ]
}

# stats KEY: SIGUSR2, then the statistics file as SECTION.FIELD=VALUE lines (instance name or
# "unmatched"; spaces in field names become _). Waits (5 s) for the whole file.
stats() {
  local key=$1 f=${STATS[$1]} i
  rm -f "$f"
  kill -USR2 "${PID[$key]}" 2>/dev/null || return 1
  for ((i = 0; i < 100; i++)); do
    if [ -s "$f" ] && grep -q '^Unmatched' "$f" && [[ $(tail -n 1 "$f") =~ addr_missing:\ [0-9]+$ ]] && [ -z "$(tail -c 1 "$f")" ]; then
      awk '/^VRRP Instance: / { sec = $3; next }
           /^Unmatched/ { sec = "unmatched"; next }
           /^  State: / { print sec ".state=" $2; next }
           /^ +[A-Za-z_ ]+: [0-9]+$/ { l = $0; sub(/^ +/, "", l); k = l; sub(/: [0-9]+$/, "", k); v = l; sub(/.*: /, "", v)
                                      gsub(/ /, "_", k); print sec "." k "=" v }' "$f"
      return 0
    fi
    sleep 0.05
  done
  return 1
}

show_logs() {  # show_logs KEY...: the logs of a failed case, for the reader
  local k
  for k in "$@"; do
    [ -n "${LOG[$k]:-}" ] && [ -f "${LOG[$k]}" ] || continue
    echo "# --- $k (${LOG[$k]##*/}) ---"
    tail -n 25 "${LOG[$k]}" | sed 's/^/#   /'
  done
}
