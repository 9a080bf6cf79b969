#!/usr/bin/env bash
# vipd's front end (control/app/main.cc) as an operator runs it, in a private network namespace (vcli) with
# one veth interface:
#   1. without -n vipd detaches: the command returns 0 at once, and the daemon runs on in a session of
#      its own (forked and orphaned, stdin on /dev/null, working directory /), named by the pid file (-p);
#   2. `--settings FILE` is an INI file of vipd's own options: its stats-file is where SIGUSR2 writes
#      (whole, renamed over the name: a symlink planted there is replaced, its target untouched), and
#      the instance (the address owner, so MASTER at once) holds its VIP;
#   3. SIGTERM: the daemon exits, removes its pid file and releases the VIP;
#   4. an INI file with an unknown name, with a keepalived option (-p's `pid`: not one of vipd's own
#      settings), or one that does not exist, is refused with exit 2 before anything starts;
#   5. a second vipd on the same pid file, or with an instance on the same interface, exits 1 and
#      leaves the first alone;
#   6. -f with a relative path works without -n (the daemon's working directory is /).
# Exit 0 all passed, 1 a failure, 77 skipped (not root, no namespaces).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/netns/report.sh
. tests/netns/report.sh

VIPD=${VIPD:-$PWD/build/vipd}
NS=vcli
IF=ens33
VIP=10.199.0.100

lib_require_root
lib_require_cmds ip python3
lib_require_netns
# The detached daemon is orphaned on purpose. This shell makes itself a child subreaper (prctl
# PR_SET_CHILD_SUBREAPER, which survives exec), so the orphan is re-parented to it and reaped by it
# rather than left a zombie under a PID 1 that may not reap.
if [ -z "${VCLI_SUBREAPER:-}" ]; then
  exec env VCLI_SUBREAPER=1 python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])' bash "$0" "$@"
fi
[ -x "$VIPD" ] || lib_die "$VIPD is not built (ninja -C build vipd), or set VIPD=/path/to/vipd"
VIPD=$(realpath "$VIPD")

# One run at a time (the namespace name is fixed): a lock on this script.
exec {lock_fd}<"$0"
flock -n "$lock_fd" || lib_die "another $(basename "$0") is running"

T=$(mktemp -d /tmp/vcli.XXXXXX) || lib_die "mktemp failed"
chmod 755 "$T"
daemon_pid=""
launcher=""
# The daemon is not our child: it is stopped by the PID its pid file gave, and only while that PID is
# still a vipd (a reused PID is left alone).
is_vipd() { [ -n "$1" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$VIPD" ]; }
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [ -n "$launcher" ]; then kill "$launcher" 2>/dev/null || true; fi
  if is_vipd "$daemon_pid"; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do is_vipd "$daemon_pid" || break; sleep 0.05; done
    if is_vipd "$daemon_pid"; then kill -KILL "$daemon_pid" 2>/dev/null || true; fi
  fi
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$T"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until TIMEOUT CMD...: true once CMD succeeds (every 20 ms), false after TIMEOUT seconds
wait_until() {
  local end=$((${EPOCHREALTIME/./} + $1 * 1000000)) i
  shift
  for ((i = 0; i < 100000; i++)); do
    "$@" && return 0
    [ "${EPOCHREALTIME/./}" -lt "$end" ] || return 1
    sleep 0.02
  done
  return 1
}
has_vip() { ip -n "$NS" -br addr show dev "$IF" 2>/dev/null | grep -q " $VIP/"; }
no_vip() { ! has_vip; }
gone() { ! is_vipd "$daemon_pid"; }
launcher_done() { ! kill -0 "$launcher" 2>/dev/null; }

if [ -e "/var/run/netns/$NS" ]; then ip netns del "$NS" 2>/dev/null || true; fi  # a killed run's leftover
ip netns add "$NS" || lib_die "cannot create namespace $NS"
ip -n "$NS" link add "$IF" type veth peer name peer0 || lib_die "cannot create a veth pair in $NS"
ip -n "$NS" link set lo up
ip -n "$NS" link set peer0 up
ip -n "$NS" link set "$IF" up
ip -n "$NS" addr add 10.199.0.1/24 dev "$IF" || lib_die "cannot address $IF"

cat >"$T/keepalived.conf" <<EOF
vrrp_instance VI_1 {
    state MASTER
    interface $IF
    virtual_router_id 77
    priority 255
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
}
EOF
cat >"$T/vipd.ini" <<EOF
# vipd's own settings, the names of its long options
dataplane = kernel
stats-file = $T/from-ini.stats
EOF

# ---- 1. detach -----------------------------------------------------------------------------------
echo "# 1. vipd without -n detaches"
ip netns exec "$NS" "$VIPD" -f "$T/keepalived.conf" -p "$T/vipd.pid" --settings "$T/vipd.ini" \
  </dev/null >"$T/launcher.out" 2>&1 &
launcher=$!
launcher_pid=$launcher
if wait_until 10 launcher_done; then
  rc=0
  wait "$launcher" || rc=$?
  launcher=""
  check "detach: the command returned exit 0 (got $rc)" test "$rc" = 0
else
  ko "detach: the command did not return within 10 s (vipd stayed in the foreground)"
fi
if wait_until 10 test -s "$T/vipd.pid"; then
  daemon_pid=$(tr -dc '0-9' <"$T/vipd.pid")
  ok "detach: the pid file $T/vipd.pid names PID ${daemon_pid:-?}"
else
  ko "detach: no pid file $T/vipd.pid within 10 s"
fi
if is_vipd "$daemon_pid"; then
  ok "detach: PID $daemon_pid is a running vipd"
  ppid=$(awk '{ print $4 }' "/proc/$daemon_pid/stat" 2>/dev/null)
  sid=$(awk '{ print $6 }' "/proc/$daemon_pid/stat" 2>/dev/null)
  check "detach: it is not the process the command started (PID $launcher_pid): it forked" test "$daemon_pid" != "$launcher_pid"
  check "detach: it was orphaned, re-parented to this shell, the subreaper (parent $ppid)" test "$ppid" = "$$"
  check "detach: it leads a session of its own (session $sid)" test "$sid" = "$daemon_pid"
  check "detach: its stdin is /dev/null" test "$(readlink "/proc/$daemon_pid/fd/0")" = /dev/null
  check "detach: its working directory is /" test "$(readlink "/proc/$daemon_pid/cwd")" = /
else
  ko "detach: PID ${daemon_pid:-(none)} from the pid file is not a running vipd"
fi

# ---- 2. the INI file -------------------------------------------------------------------------------
echo "# 2. --settings: the INI file's stats-file; the instance runs"
check "run: the detached vipd holds $VIP (address owner, MASTER)" wait_until 10 has_vip
rm -f "$T/from-ini.stats"
if is_vipd "$daemon_pid" && kill -USR2 "$daemon_pid" && wait_until 5 grep -q '^  State: MASTER$' "$T/from-ini.stats"; then
  ok "settings: SIGUSR2 wrote the statistics to the INI file's stats-file ($T/from-ini.stats: VI_1 MASTER)"
else
  ko "settings: no statistics with VI_1 MASTER at the INI file's stats-file $T/from-ini.stats after SIGUSR2"
fi
# A symlink planted at the stats file's name: the statistics are written all the same, as a file of
# their own that replaces the link (renamed over it), and the link's target is left as it was.
echo "not vipd's" >"$T/victim"
rm -f "$T/from-ini.stats"
ln -s "$T/victim" "$T/from-ini.stats"
if is_vipd "$daemon_pid" && kill -USR2 "$daemon_pid" && wait_until 5 grep -q '^  State: MASTER$' "$T/from-ini.stats"; then
  ok "settings: with a symlink planted at $T/from-ini.stats, SIGUSR2 still wrote the statistics there"
else
  ko "settings: with a symlink planted at $T/from-ini.stats, SIGUSR2 wrote no statistics there"
fi
check "settings: ... as a regular file of mode 0600 (the link replaced, not followed)" \
  bash -c "[ ! -L '$T/from-ini.stats' ] && [ \"\$(stat -c %a '$T/from-ini.stats')\" = 600 ]"
check "settings: ... and the link's target is untouched" grep -qx "not vipd's" "$T/victim"
check "settings: ... and no temporary file is left beside it" bash -c "! ls '$T'/from-ini.stats.?????? 2>/dev/null | grep -q ."

# ---- 3. SIGTERM --------------------------------------------------------------------------------------
echo "# 3. SIGTERM the daemon"
if is_vipd "$daemon_pid"; then
  kill -TERM "$daemon_pid"
  check "stop: vipd exited on SIGTERM" wait_until 10 gone
  check "stop: ... and was reaped (no zombie left)" wait_until 5 test ! -e "/proc/$daemon_pid"
  check "stop: the pid file is removed" wait_until 2 test ! -e "$T/vipd.pid"
  check "stop: $VIP is released" wait_until 2 no_vip
else
  ko "stop: no daemon to stop"
fi

# ---- 4. refused INI files ----------------------------------------------------------------------------
echo "# 4. INI files that are refused"
# refused NAME FILE WORD: vipd -n with --settings FILE exits 2, naming WORD on stderr, and starts nothing
refused() {
  local rc=0 out
  out=$(timeout 10 ip netns exec "$NS" "$VIPD" -n -l -f "$T/keepalived.conf" -p "$T/refused.pid" --settings "$2" 2>&1 </dev/null) || rc=$?
  if [ "$rc" = 2 ] && [[ $out == *"$3"* ]] && [ ! -e "$T/refused.pid" ] && no_vip; then
    ok "settings: $1 is refused (exit 2: $(head -n 1 <<<"$out"))"
  else
    ko "settings: $1: want exit 2 naming '$3' and nothing started; got exit $rc: $(head -n 2 <<<"$out" | tr '\n' ' ')"
  fi
}
printf 'stats-file = %s/x.stats\nbogus = 1\n' "$T" >"$T/unknown.ini"
refused "an unknown name" "$T/unknown.ini" bogus
printf 'pid = %s/ini.pid\n' "$T" >"$T/keepalived-option.ini"
refused "a keepalived option (pid)" "$T/keepalived-option.ini" pid
refused "a missing file" "$T/none.ini" "$T/none.ini"

# ---- 5. one vipd per pid file and per interface --------------------------------------------------
echo "# 5. a second vipd is refused"
ip netns exec "$NS" "$VIPD" -n -l -f "$T/keepalived.conf" -p "$T/first.pid" --stats-file "$T/first.stats" >"$T/first.log" 2>&1 &
first=$!
check "lock: the first vipd holds $VIP" wait_until 10 has_vip
# second NAME PIDFILE WORD: a second vipd exits 1 at once, saying WORD, and leaves the first alone
second() {
  local rc=0 out
  out=$(timeout 10 ip netns exec "$NS" "$VIPD" -n -l -f "$T/keepalived.conf" -p "$2" --stats-file "$T/second.stats" 2>&1 </dev/null) || rc=$?
  if [ "$rc" = 1 ] && [[ $out == *"$3"* ]] && kill -0 "$first" 2>/dev/null && has_vip; then
    ok "lock: $1 is refused ($(grep -F "$3" <<<"$out" | head -n 1 | sed 's/^.*: another/another/'))"
  else
    ko "lock: $1: want exit 1 naming '$3', the first still running; got exit $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
  fi
}
second "a second vipd on the same pid file" "$T/first.pid" "is held by PID $first"
second "a second vipd with an instance on the same interface" "$T/other.pid" "another vipd runs an instance on $IF"
check "lock: the refused one left no pid file" test ! -e "$T/other.pid"
check "lock: the first one's pid file still names it" grep -qx "$first" "$T/first.pid"
kill -TERM "$first"
wait "$first"
check "lock: the first exits 0 on SIGTERM and removes its pid file" bash -c "[ $? -eq 0 ] && [ ! -e '$T/first.pid' ]"

# ---- 6. a relative config path, detached ---------------------------------------------------------
echo "# 6. -f with a relative path, without -n (the daemon works in /)"
(cd "$T" && ip netns exec "$NS" "$VIPD" -f keepalived.conf -p "$T/rel.pid" --stats-file "$T/rel.stats" </dev/null >/dev/null 2>&1)
check "relative: the command returns 0" test $? -eq 0
if wait_until 10 test -s "$T/rel.pid"; then daemon_pid=$(tr -dc '0-9' <"$T/rel.pid"); fi
check "relative: the detached vipd read keepalived.conf and holds $VIP" wait_until 10 has_vip
if is_vipd "$daemon_pid"; then
  kill -TERM "$daemon_pid"
  check "relative: it stops on SIGTERM" wait_until 10 gone
fi

lib_summary
