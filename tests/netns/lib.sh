# shellcheck shell=bash
# Shared helpers for the namespace tests: source it, do not run it.
#
#   . "$(dirname "$0")/lib.sh"
#   lib_require_root; lib_require_cmds keepalived tshark   skips (exit 77) without root or a tool
#   lib_init PREFIX                 lab prefix (one run per prefix: a lock on the test script), LIB_TMP,
#                                   and the cleanup trap on EXIT, INT and TERM
#   lib_require_netns; lib_require_vipd                     skip without namespaces; fail without vipd
#   lab_up [--subnet A.B.C ...]     scripts/lab up --name PREFIX (the cleanup takes it down)
#   start_vipd NODE CONF LOG [ARGS]; start_keepalived NODE CONF LOG [ARGS]; start_bg NODE LOG CMD...
#                                   the PID is in LAST_PID and is remembered for the cleanup
#   stop_pid PID [TIMEOUT]          SIGTERM, SIGKILL after TIMEOUT, reap; LAST_RC = its exit status
#   crash_pid PID                   SIGKILL (keepalived: frozen, its VRRP child killed, then it)
#   vipd_stats PID TIMEOUT          SIGUSR2 and print the statistics file once written
#   wait_for_log FILE REGEX TIMEOUT [COUNT]; last_log FILE REGEX; log_after FILE REGEX
#   wait_until TIMEOUT CMD...       true once CMD succeeds
#   has_vip NODE IP [IF]; wait_for_vip NODE IP TIMEOUT [IF]; wait_no_vip NODE IP TIMEOUT [IF]
#   vip_owners IP NODE...           how many of the NODEs hold IP, on any interface
#   watch_vip IP TIMEOUT SETTLE WANT NODE...   10 ms sampling of who holds IP (see below)
#   ok MSG; ko MSG; check MSG CMD...; note MSG; lib_summary   "N passed, M failed"; 0 only if M = 0
#
# Every wait is bounded in count and time and ends early on its event. Processes are tracked by PID
# and only those are ever signalled; the cleanup stops them, takes the lab down and removes LIB_TMP,
# also when the test is interrupted (a run killed with SIGKILL is cleaned up by the next run, which
# holds the lock). Times are in seconds (fractions allowed) unless a name says _ms or _us. VIPD
# (default build/vipd) and LIB_IF (default ens33, the interface has_vip looks at) may be set first.

export LC_ALL=C  # EPOCHREALTIME and printf must use '.' for decimals

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB="$LIB_ROOT/scripts/lab"
VIPD=${VIPD:-$LIB_ROOT/build/vipd}
LAB_NAME=""
LIB_TMP=""
LIB_LAB_UP=0
LIB_PIDS=()                 # processes this test started (children of this shell), in start order
declare -A LIB_KA_DIR=()    # keepalived parent PID -> its pid-file directory
declare -A LIB_STATS=()     # vipd PID -> its --stats-file
declare -A LIB_PIDFILE=()   # vipd PID -> its pid file
LIB_CLEANUP_HOOKS=()        # extra commands (strings, eval'd) run first by the cleanup
LAST_PID=""
LAST_RC=""
LIB_SEQ=0
LIB_LOCK_FD=""

# ---- results and preconditions: report.sh (ok, ko, note, check, lib_summary, lib_skip, lib_die,
# lib_require_root, lib_require_cmds, lib_require_netns) --------------------------------------------

# shellcheck source=tests/netns/report.sh
source "$(dirname "${BASH_SOURCE[0]}")/report.sh"

lib_require_vipd() { [ -x "$VIPD" ] || lib_die "$VIPD is not built (ninja -C build vipd), or set VIPD=/path/to/vipd"; }

# ---- time --------------------------------------------------------------------------------------

now_us() { echo "${EPOCHREALTIME/./}"; }
secs_to_us() {  # 1.5 -> 1500000 (no fork of bc/awk; at most 6 decimals are used)
  local s=$1 int frac
  int=${s%%.*}
  if [[ $s == *.* ]]; then frac=${s#*.}; else frac=""; fi
  frac="${frac}000000"
  echo $((10#${int:-0} * 1000000 + 10#${frac:0:6}))
}
# lib_sleep SECONDS. Deliberately sleep(1), not bash's `read -t`: a signal trap that runs inside
# `read -t` still has read's timer armed, and when it fires in the middle of the cleanup bash 5.2
# jumps back into read and crashes.
lib_sleep() { sleep "$1"; }

# ---- lab and namespaces ------------------------------------------------------------------------

ns_of() { echo "${LAB_NAME}-$1"; }
in_ns() {  # in_ns NODE CMD...
  local n=$1
  shift
  ip netns exec "${LAB_NAME}-$n" "$@"
}
lab_exists() {
  local n
  for n in lan client lb1 lb2 web1 web2; do
    if [ -e "/var/run/netns/${LAB_NAME}-$n" ]; then return 0; fi
  done
  [ -e "/run/${LAB_NAME}" ]
}
lab_up() {
  if lab_exists; then
    # We hold the lock (lib_init), so this is what a killed earlier run left behind.
    echo "# lab $LAB_NAME left over from an earlier run: taking it down first"
    "$LAB" down --name "$LAB_NAME" >/dev/null 2>&1 || true
  fi
  LIB_LAB_UP=1
  # Without the lock descriptor: the lab's daemons (nginx) outlive this shell if it is killed.
  "$LAB" up --name "$LAB_NAME" "$@" {LIB_LOCK_FD}<&- || lib_die "scripts/lab up --name $LAB_NAME failed"
}

# ---- processes ---------------------------------------------------------------------------------

# running PID: alive and not a zombie (a zombie child is reaped by stop_pid / the cleanup)
running() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  case ${s%% *} in Z | X | x) return 1 ;; esac
  return 0
}
# wait_exit TIMEOUT PID: true once PID no longer runs (checks every 20 ms)
wait_exit() {
  local end=$(($(now_us) + $(secs_to_us "$1"))) i
  for ((i = 0; i < 100000; i++)); do
    running "$2" || return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || break
    lib_sleep 0.02
  done
  ! running "$2"
}
lib_forget() {  # drop PID from the bookkeeping once it is reaped
  local p keep=()
  for p in "${LIB_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  LIB_PIDS=("${keep[@]}")
}
# shellcheck disable=SC2034  # LAST_RC is read by the tests
lib_reap() {  # reap our child PID and set LAST_RC to its exit status
  LAST_RC=0
  wait "$1" 2>/dev/null || LAST_RC=$?
  lib_forget "$1"
}

# start_bg NODE LOG CMD...: runs CMD inside NODE's namespace in the background (stdout and stderr to
# LOG). The subshell execs `ip netns exec`, which execs CMD, so LAST_PID is CMD's own PID; the lock
# descriptor is closed first, so an orphaned daemon cannot hold the lock.
start_bg() {
  local node=$1 log=$2
  shift 2
  (
    if [[ $LIB_LOCK_FD =~ ^[0-9]+$ ]]; then exec {LIB_LOCK_FD}<&-; fi
    exec ip netns exec "${LAB_NAME}-$node" "$@" </dev/null >"$log" 2>&1
  ) &
  LAST_PID=$!
  LIB_PIDS+=("$LAST_PID")
}

# start_vipd NODE CONF LOG [ARGS...]: vipd in the foreground (-n), logging to LOG, with its own pid
# and stats files under LIB_TMP (vipd_stats_file PID names the latter).
start_vipd() {
  local node=$1 conf=$2 log=$3 base
  shift 3
  LIB_SEQ=$((LIB_SEQ + 1))
  base="$LIB_TMP/vipd-$node-$LIB_SEQ"
  start_bg "$node" "$log" "$VIPD" -n -l -f "$conf" -p "$base.pid" --stats-file "$base.stats" "$@"
  LIB_STATS[$LAST_PID]="$base.stats"
  LIB_PIDFILE[$LAST_PID]="$base.pid"
}
vipd_stats_file() { echo "${LIB_STATS[$1]:-}"; }

# vipd_stats PID TIMEOUT: SIGUSR2, then waits for the statistics file (written once, so: present,
# non-empty and the same size on two looks 50 ms apart) and prints it
vipd_stats() {
  local f=${LIB_STATS[$1]:-} end i size last=""
  [ -n "$f" ] || return 1
  rm -f "$f"
  kill -USR2 "$1" 2>/dev/null || return 1
  end=$(($(now_us) + $(secs_to_us "$2")))
  for ((i = 0; i < 100000; i++)); do
    size=$(stat -c %s "$f" 2>/dev/null) || size=""
    if [ -n "$size" ] && [ "$size" -gt 0 ] && [ "$size" = "$last" ]; then
      cat "$f"
      return 0
    fi
    last=$size
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || break
    lib_sleep 0.05
  done
  return 1
}

# start_keepalived NODE CONF LOG [ARGS...]: keepalived -n -l -D -G -P with pid files of its own
# (parent, VRRP child, checkers child) in a directory under LIB_TMP; LAST_PID is the parent.
start_keepalived() {
  local node=$1 conf=$2 log=$3 d
  shift 3
  LIB_SEQ=$((LIB_SEQ + 1))
  d="$LIB_TMP/keepalived-$node-$LIB_SEQ"
  mkdir -p "$d"
  start_bg "$node" "$log" keepalived -n -l -D -G -P -f "$conf" -p "$d/keepalived.pid" -r "$d/vrrp.pid" \
    -c "$d/checkers.pid" -b "$d/bfd.pid" "$@"
  LIB_KA_DIR[$LAST_PID]=$d
}
# keepalived_children PID: the PIDs of a keepalived parent's children that still run (from its pid files)
keepalived_children() {
  local d=${LIB_KA_DIR[$1]:-} f p
  [ -n "$d" ] || return 0
  for f in "$d/vrrp.pid" "$d/checkers.pid" "$d/bfd.pid"; do
    [ -s "$f" ] || continue
    p=$(tr -dc '0-9' <"$f")
    # Guard against a reused PID: it must still be a keepalived.
    if [ -n "$p" ] && running "$p" && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = keepalived ]; then echo "$p"; fi
  done
}
# wait_keepalived_child PID TIMEOUT: waits for the VRRP child's pid file; prints the child's PID
wait_keepalived_child() {
  local d=${LIB_KA_DIR[$1]:-} end i p
  [ -n "$d" ] || return 1
  end=$(($(now_us) + $(secs_to_us "$2")))
  for ((i = 0; i < 100000; i++)); do
    if [ -s "$d/vrrp.pid" ]; then
      p=$(tr -dc '0-9' <"$d/vrrp.pid")
      if [ -n "$p" ] && running "$p"; then echo "$p"; return 0; fi
    fi
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || break
    lib_sleep 0.02
  done
  return 1
}

# stop_pid PID [TIMEOUT=5]: SIGTERM, up to TIMEOUT for it to exit, then SIGKILL; reaps it (LAST_RC is
# its exit status: 128+N for a signal). A keepalived parent's children are made sure of as well.
stop_pid() {
  local pid=$1 t=${2:-5} kids c
  [ -n "$pid" ] || return 0
  kids=$(keepalived_children "$pid")
  if running "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$t" "$pid"; then
      echo "# pid $pid ignored SIGTERM for ${t}s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit 2 "$pid" || echo "# pid $pid did not exit" >&2
    fi
  fi
  # bash reports a child that a signal ended ("Killed") on stderr when it notices; not here.
  { lib_reap "$pid"; } 2>/dev/null
  for c in $kids; do
    if running "$c"; then
      kill -TERM "$c" 2>/dev/null || true
      wait_exit 3 "$c" || { kill -KILL "$c" 2>/dev/null || true; wait_exit 2 "$c" || true; }
    fi
  done
  return 0
}

# crash_pid PID: SIGKILL, as a crash would. For keepalived the parent is frozen first, so it neither
# respawns the VRRP child nor lets it shut down cleanly; then the children and the parent are killed.
crash_pid() {
  local pid=$1 kids c
  kids=$(keepalived_children "$pid")
  {
    if [ -n "${LIB_KA_DIR[$pid]:-}" ]; then
      kill -STOP "$pid" 2>/dev/null || true
      for c in $kids; do kill -KILL "$c" 2>/dev/null || true; done
    fi
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit 3 "$pid" || echo "# pid $pid survived SIGKILL for 3 s" >&3
    lib_reap "$pid"
  } 3>&2 2>/dev/null
  for c in $kids; do wait_exit 3 "$c" || echo "# keepalived child $c survived SIGKILL for 3 s" >&2; done
  if [ -n "${LIB_PIDFILE[$pid]:-}" ]; then rm -f "${LIB_PIDFILE[$pid]}"; fi
  return 0
}

# ---- logs and addresses ------------------------------------------------------------------------

# wait_for_log FILE REGEX TIMEOUT [COUNT=1]: true once FILE has COUNT lines matching REGEX (ERE)
wait_for_log() {
  local f=$1 re=$2 n=${4:-1} end i c
  end=$(($(now_us) + $(secs_to_us "$3")))
  for ((i = 0; i < 100000; i++)); do
    c=$(grep -cE -- "$re" "$f" 2>/dev/null) || c=0
    [ "$c" -ge "$n" ] && return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
    lib_sleep 0.02
  done
  return 1
}
# wait_until TIMEOUT CMD...: true once CMD succeeds (tried every 50 ms, output dropped)
wait_until() {
  local end i
  end=$(($(now_us) + $(secs_to_us "$1")))
  shift
  for ((i = 0; i < 100000; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
    lib_sleep 0.05
  done
  return 1
}
# log_after FILE REGEX: the lines of FILE after its last line matching REGEX (empty if none matches)
log_after() { awk -v re="$2" '{ l[NR] = $0 } $0 ~ re { n = NR } END { if (n) for (i = n + 1; i <= NR; i++) print l[i] }' "$1" 2>/dev/null; }
# last_log FILE REGEX: the last line of FILE matching REGEX
last_log() { grep -E -- "$2" "$1" 2>/dev/null | tail -n 1; }

LIB_IF=${LIB_IF:-ens33}
# has_vip NODE IP [IF]: IP is configured on IF in NODE (ip -br addr show IF)
has_vip() {
  local out
  out=$(ip -n "${LAB_NAME}-$1" -br addr show dev "${3:-$LIB_IF}" 2>/dev/null) || return 1
  [[ " $out " == *" $2/"* ]]
}
# caps_left PID HEX: prints, for each thread of PID whose permitted, effective or bounding set is not
# HEX (16 hex digits, as /proc shows them) or that lacks no_new_privs, "COMM=[PRM EFF BND NNP]"; nothing
# when every thread holds exactly HEX.
caps_left() {
  local t got
  for t in /proc/"$1"/task/*; do
    got=$(awk '/^Cap(Prm|Eff|Bnd)/ { printf "%s ", $2 } /^NoNewPrivs/ { printf "%s", $2 }' "$t/status" 2>/dev/null) || continue
    [ -z "$got" ] || [ "$got" = "$2 $2 $2 1" ] || printf ' %s=[%s]' "$(cat "$t/comm" 2>/dev/null)" "$got"
  done
}

# vip_owners IP NODE...: how many of the NODEs hold IP on any interface (a forwarding node's kernel
# keeps its VIPs on a TAP, kernel mode on the VRRP interface)
vip_owners() {
  local ip=$1 n c=0
  shift
  for n in "$@"; do
    ip -n "${LAB_NAME}-$n" -br addr 2>/dev/null | grep -q " $ip/" && c=$((c + 1))
  done
  echo "$c"
}
wait_for_vip() {  # wait_for_vip NODE IP TIMEOUT [IF]
  local end i
  end=$(($(now_us) + $(secs_to_us "$3")))
  for ((i = 0; i < 100000; i++)); do
    has_vip "$1" "$2" "${4:-}" && return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
    lib_sleep 0.01
  done
  return 1
}
wait_no_vip() {  # wait_no_vip NODE IP TIMEOUT [IF]
  local end i
  end=$(($(now_us) + $(secs_to_us "$3")))
  for ((i = 0; i < 100000; i++)); do
    has_vip "$1" "$2" "${4:-}" || return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
    lib_sleep 0.01
  done
  return 1
}

# watch_vip IP TIMEOUT SETTLE WANT NODE...
#   Samples which of NODE... hold IP every 10 ms until WANT (a node, or "none") has been the only
#   holder for SETTLE seconds, or TIMEOUT seconds pass without it being reached. Sets:
#     W_REACH_US  epoch µs at the end of the first sample where WANT alone held it (empty: never);
#                 the end, so that a sampler the scheduler held up cannot make a takeover look faster
#     W_MULTI_MS  the longest period with more than one holder, in ms, from the first sample that saw
#                 it to the first that no longer did (an upper bound: it includes a sampling gap)
#     W_MULTI_MIN_MS  the longest such period from its first to its last sample (a lower bound)
#     W_STABLE    1 when WANT stayed the only holder for SETTLE after reaching it
#     W_LAST      the holders at the last sample ("-" for none); W_SAMPLES the number of samples
#   Returns 0 when WANT was reached and held for SETTLE.
watch_vip() {
  local ip=$1 timeout_us settle_us want=$4 start end t te n holders count multi_from="" multi_last="" i
  timeout_us=$(secs_to_us "$2")
  settle_us=$(secs_to_us "$3")
  shift 4
  start=$(now_us)
  end=$((start + timeout_us))
  W_REACH_US="" W_MULTI_MS=0 W_MULTI_MIN_MS=0 W_STABLE=0 W_LAST="-" W_SAMPLES=0
  local max_samples=$(((timeout_us + settle_us) / 10000 + 10))
  for ((i = 0; i < max_samples; i++)); do
    t=${EPOCHREALTIME/./}
    holders="" count=0
    for n in "$@"; do
      if has_vip "$n" "$ip"; then holders+="${holders:+ }$n"; count=$((count + 1)); fi
    done
    te=${EPOCHREALTIME/./}
    W_SAMPLES=$((W_SAMPLES + 1))
    W_LAST=${holders:--}
    if [ "$count" -gt 1 ]; then
      [ -n "$multi_from" ] || multi_from=$t
      multi_last=$t
      if [ $(((t - multi_from) / 1000)) -gt "$W_MULTI_MIN_MS" ]; then W_MULTI_MIN_MS=$(((t - multi_from) / 1000)); fi
    elif [ -n "$multi_from" ]; then
      if [ $(((t - multi_from) / 1000)) -gt "$W_MULTI_MS" ]; then W_MULTI_MS=$(((t - multi_from) / 1000)); fi
      multi_from=""
    fi
    if [ -z "$W_REACH_US" ]; then
      if [ "$W_LAST" = "$want" ] || { [ "$want" = none ] && [ "$count" -eq 0 ]; }; then
        W_REACH_US=$te
        W_STABLE=1
        end=$((te + settle_us))
      fi
    elif [ "$W_LAST" != "$want" ] && ! { [ "$want" = none ] && [ "$count" -eq 0 ]; }; then
      W_STABLE=0
    fi
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || break
    lib_sleep 0.01
  done
  if [ -n "$multi_from" ]; then  # still more than one holder at the end
    t=$multi_last
    if [ $(((t - multi_from) / 1000)) -gt "$W_MULTI_MS" ]; then W_MULTI_MS=$(((t - multi_from) / 1000)); fi
  fi
  [ -n "$W_REACH_US" ] && [ "$W_STABLE" -eq 1 ]
}

# ---- set-up and cleanup ------------------------------------------------------------------------

lib_cleanup() {
  local rc=$? i h
  trap - EXIT INT TERM
  for h in "${LIB_CLEANUP_HOOKS[@]}"; do eval "$h" >/dev/null 2>&1 || true; done
  for ((i = ${#LIB_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${LIB_PIDS[i]}" 3 >/dev/null 2>&1; done
  if [ "$LIB_LAB_UP" -eq 1 ]; then "$LAB" down --name "$LAB_NAME" >/dev/null 2>&1 || true; fi
  if [ -n "$LIB_TMP" ] && [ -d "$LIB_TMP" ]; then rm -rf "$LIB_TMP"; fi
  exit "$rc"
}

# lib_init PREFIX: the lab prefix; takes a lock on the test script (one run per prefix at a time),
# makes LIB_TMP and installs the cleanup trap.
lib_init() {
  LAB_NAME=$1
  exec {LIB_LOCK_FD}<"$0"
  if command -v flock >/dev/null 2>&1 && ! flock -n "$LIB_LOCK_FD"; then
    lib_die "another $(basename "$0") is running, or what a killed one started still runs (lab $LAB_NAME: scripts/lab down --name $LAB_NAME)"
  fi
  # Holding the lock, any temp dir of ours is what a run killed without its cleanup left behind.
  local d
  for d in "/tmp/${LAB_NAME}".??????; do
    if [ -d "$d" ] && [ -O "$d" ]; then rm -rf "$d"; fi
  done
  LIB_TMP=$(mktemp -d "/tmp/${LAB_NAME}.XXXXXX") || lib_die "mktemp failed"
  chmod 755 "$LIB_TMP"
  trap lib_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
