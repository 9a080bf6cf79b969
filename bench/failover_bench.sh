#!/usr/bin/env bash
# Measures what a client sees when a VRRP master goes away, for pairs of vipd nodes (kernel mode, and
# with --dataplane=dpdk or xdp) and a pair of keepalived 2.2.7 nodes in the same namespace lab, side
# by side: the longest silence between replies
# of a ping every 10 ms to the VIP, for the master's link going down, SIGKILL and SIGTERM, at VRRP v2
# advert_int 1 and v3 advert_int 0.1, 0.05 and 0.01, multicast or unicast with one peer. Then the CPU
# the VRRP control thread uses with 100 instances advertising every 10 ms. Prints markdown tables
# (medians of R runs, each run's figure in brackets). A run fails, and shows as FAIL beside the others,
# when the pair does not converge first, the backup does not log MASTER, or no reply comes after the
# kill; the silence after the last reply counts up to the end of the ping, so a takeover that never
# happens cannot look fast. The cell's median is of the runs that did not fail, and says how many did.
# Usage: bench/failover_bench.sh   (as root)   Environment: R=3 runs per cell,
#        CASES="v2:1 v3:0.1 v2:1:ucast ..." (VERSION:ADVERT_INT[:ucast]; ucast = unicast_src_ip and one
#        unicast_peer on each node), KILLS="linkdown sigkill sigterm", IMPLS="vipd keepalived vipd-dpdk vipd-xdp"
#        (vipd: kernel mode; vipd-dpdk, vipd-xdp: the forwarding nodes, the VIP on their TAP),
#        CPU_SECONDS=10 (0 skips the CPU table), VIPD=build/vipd
#
# SIGKILL in kernel mode leaves the dead daemon's VIP on its interface (keepalived's too), and that
# kernel keeps answering: to measure VRRP rather than the leftover, the bench deletes the VIP from the
# killed node at the moment of the kill, as if the node had died with its daemon. A forwarding node
# needs no such help: its VIP is on a TAP that dies with it.
set -euo pipefail
export LC_ALL=C  # EPOCHREALTIME with a decimal point
cd "$(dirname "$0")/.."

R=${R:-3}
CASES=${CASES:-"v2:1 v3:0.1 v3:0.05 v3:0.01"}
KILLS=${KILLS:-"linkdown sigkill sigterm"}
IMPLS=${IMPLS:-"vipd keepalived vipd-dpdk vipd-xdp"}
CPU_SECONDS=${CPU_SECONDS:-10}
lab=vfbench
vip=192.168.140.100
work=$(mktemp -d)
pids=()

[ "$(id -u)" -eq 0 ] || { echo "failover_bench: needs root" >&2; exit 1; }
VIPD=${VIPD:-build/vipd}
[ -x "$VIPD" ] || { echo "failover_bench: build vipd first (ninja -C build vipd), or set VIPD" >&2; exit 1; }

cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  scripts/lab down --name "$lab" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() {  # wait_for FILE REGEX SECONDS
  local deadline=$((SECONDS + $3))
  until grep -qE "$2" "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.02
  done
}

conf() {  # conf NAME VERSION INTERVAL PRIORITY [COUNT [MODE]]: COUNT instances on ens33; MODE ucast: unicast
  local name=$1 version=$2 interval=$3 prio=$4 count=${5:-1} mode=${6:-mcast} i me peer ucast=""
  if [ "$mode" = ucast ]; then
    me=192.168.140.10 peer=192.168.140.11
    if [ "$name" = lb2 ]; then me=192.168.140.11 peer=192.168.140.10; fi
    ucast="unicast_src_ip $me
    unicast_peer {
        $peer
    }"
  fi
  {
    echo "global_defs { router_id $name }"
    for i in $(seq 1 "$count"); do
      cat <<EOF
vrrp_instance VI_$i {
    state BACKUP
    interface ens33
    virtual_router_id $i
    priority $prio
    advert_int $interval
    version $version
    $ucast
    virtual_ipaddress {
        $(if [ "$count" -eq 1 ]; then echo "$vip"; else echo "10.200.$((i / 250)).$((i % 250 + 1))"; fi)/32
    }
}
EOF
    done
  } >"$work/$name.conf"
}

start() {  # start IMPL NODE CONF: sets $started_pid
  local impl=$1 node=$2 cf=$3
  : >"$work/$node.log"
  if [ "$impl" = vipd ]; then
    ip netns exec "$lab-$node" "$VIPD" -n -l -f "$cf" -p "$work/$node.pid" --stats-file "$work/$node.stats" >>"$work/$node.log" 2>&1 &
  elif [[ $impl == vipd-* ]]; then
    # A forwarding node: VRRP through its dataplane (DPDK) or kernel sockets beside its program (XDP),
    # the VIP held on its TAP.
    ip netns exec "$lab-$node" "$VIPD" --dataplane="${impl#vipd-}" -n -l -f "$cf" -p "$work/$node.pid" \
      --state-dir "$work/state-$node" >>"$work/$node.log" 2>&1 &
  else
    ip netns exec "$lab-$node" keepalived -n -l -D --vrrp -f "$cf" -p "$work/$node.kpid" -r "$work/$node.pid" >>"$work/$node.log" 2>&1 &
  fi
  started_pid=$!
  pids+=("$started_pid")
}

stop() {  # stop PID
  kill -TERM "$1" 2>/dev/null || true
  timeout 5 tail --pid="$1" -f /dev/null 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
}

# The daemon's VRRP process: vipd is one process; keepalived's VRRP work is its child (pid file -r).
vrrp_pid() { cat "$work/$1.pid" 2>/dev/null || true; }

gap_ms() {  # gap_ms PINGFILE KILL_EPOCH END_EPOCH: the longest silence in ms, or FAIL
  # The replies' times, with the end of the ping as the last point: silence up to the end counts. No
  # reply after the kill means the takeover failed.
  python3 - "$@" <<'PY'
import re, sys
t = [float(m.group(1)) for m in re.finditer(r"^\[(\d+\.\d+)\].*icmp_seq=", open(sys.argv[1]).read(), re.M)]
kill, end = float(sys.argv[2]), float(sys.argv[3])
if not t or t[0] > kill or not any(x > kill for x in t):
    print("FAIL")
else:
    t.append(max(end, t[-1]))
    print(round(max(b - a for a, b in zip(t, t[1:])) * 1000))
PY
}

one_run() {  # one_run IMPL VERSION INTERVAL KILL MODE: prints the outage in ms
  local impl=$1 version=$2 interval=$3 kill=$4 mode=$5
  conf lb1 "$version" "$interval" 150 1 "$mode"
  conf lb2 "$version" "$interval" 100 1 "$mode"
  start "$impl" lb1 "$work/lb1.conf"; local p1=$started_pid
  wait_for "$work/lb1.log" 'Entering MASTER STATE' 20 || { echo FAIL; stop "$p1"; return; }
  start "$impl" lb2 "$work/lb2.conf"; local p2=$started_pid
  local failed=0
  wait_for "$work/lb2.log" 'Entering BACKUP STATE' 20 || failed=1
  sleep 1
  local t_ping t_kill
  t_ping=$EPOCHREALTIME
  ip netns exec "$lab-client" ping -D -n -i 0.01 -W 1 -w 8 "$vip" >"$work/ping.txt" 2>&1 &
  local ping_pid=$!
  pids+=("$ping_pid")
  sleep 1.5
  t_kill=$EPOCHREALTIME
  case $kill in
    linkdown) ip -n "$lab-lb1" link set ens33 down ;;
    sigkill)
      # The VRRP process first: killed after its parent, keepalived's VRRP child gets its parent-death
      # signal and shuts down cleanly (a priority-0 handover), which is not a crash. Its parent dies
      # right after, before it can respawn a child.
      kill -KILL "$(vrrp_pid lb1)" 2>/dev/null || true
      kill -KILL "$p1" 2>/dev/null || true
      [[ $impl == vipd-* ]] || ip -n "$lab-lb1" addr del "$vip/32" dev ens33 2>/dev/null || true ;;
    sigterm) kill -TERM "$p1" ;;
  esac
  wait_for "$work/lb2.log" 'Entering MASTER STATE' 20 || failed=1
  timeout 12 tail --pid="$ping_pid" -f /dev/null || kill -KILL "$ping_pid" 2>/dev/null || true
  # The ping's own deadline (-w 8) ends the last silence; its last reply comes about 10 ms before it.
  if [ "$failed" -eq 1 ]; then echo FAIL; else gap_ms "$work/ping.txt" "$t_kill" "$(python3 -c "print($t_ping + 8)")"; fi
  stop "$p2"
  stop "$p1"
  ip -n "$lab-lb1" link set ens33 up
  ip -n "$lab-lb1" addr del "$vip/32" dev ens33 2>/dev/null || true
  ip -n "$lab-lb2" addr del "$vip/32" dev ens33 2>/dev/null || true
  timeout 5 bash -c "until ip -n $lab-lb1 link show ens33 | grep -q 'state UP'; do sleep 0.05; done" || true
  # A forwarding node gives ens33 its address back when it stops (after a SIGKILL, its guardian or the
  # kernel does): the next run starts from the lab as it was.
  local n
  for n in lb1 lb2; do
    timeout 10 bash -c "until ip -n $lab-$n -br addr show dev ens33 | grep -q '192.168.140.1[01]/24'; do sleep 0.05; done" ||
      echo "failover_bench: $n's ens33 did not get its address back" >&2
  done
}

median() {  # median VALUES...: of the runs that did not fail, and how many failed
  python3 -c '
import sys, statistics
v = [float(x) for x in sys.argv[1:] if x != "FAIL"]
f = len(sys.argv) - 1 - len(v)
m = str(round(statistics.median(v))) if v else "n/a"
print(m + (f", {f} of {len(sys.argv) - 1} FAILED" if f else ""))' "$@"
}

scripts/lab up --name "$lab"
echo "Client-side outage (longest silence between replies of a ping every 10 ms), median of $R runs, ms"
echo
printf '| case | kill |'; for impl in $IMPLS; do printf ' %s |' "$impl"; done; echo
printf '|---|---|'; for _ in $IMPLS; do printf -- '---:|'; done; echo
for c in $CASES; do
  IFS=: read -r version interval mode <<<"$c"
  version=${version#v}; mode=${mode:-mcast}
  for kill in $KILLS; do
    printf '| v%s advert_int %s%s | %s |' "$version" "$interval" "$([ "$mode" = ucast ] && echo ', unicast 1 peer')" "$kill"
    for impl in $IMPLS; do
      vals=()
      for _ in $(seq 1 "$R"); do vals+=("$(one_run "$impl" "$version" "$interval" "$kill" "$mode")"); done
      printf ' %s (%s) |' "$(median "${vals[@]}")" "${vals[*]}"
    done
    echo
  done
done

[ "$CPU_SECONDS" -gt 0 ] || exit 0
echo
echo "CPU of the VRRP control process: 100 instances, v3, advert_int 0.01, all MASTER, over ${CPU_SECONDS} s"
echo
echo "| impl | CPU s | % of one core |"
echo "|---|---:|---:|"
for impl in $IMPLS; do
  # A DPDK node's lcore spins whatever VRRP does; an XDP node's VRRP is kernel mode's: not measured.
  [[ $impl == vipd-* ]] && continue
  conf lb1 3 0.01 150 100
  start "$impl" lb1 "$work/lb1.conf"; p=$started_pid
  timeout 30 bash -c "until [ \$(grep -c 'Entering MASTER STATE' $work/lb1.log) -ge 100 ]; do sleep 0.1; done" || true
  vp=$(vrrp_pid lb1)
  t0=$(awk '{print $14 + $15}' "/proc/$vp/stat")
  sleep "$CPU_SECONDS"
  t1=$(awk '{print $14 + $15}' "/proc/$vp/stat")
  hz=$(getconf CLK_TCK)
  python3 -c "c=($t1-$t0)/$hz; print(f'| $impl | {c:.2f} | {100*c/$CPU_SECONDS:.1f} |')"
  stop "$p"
  ip -n "$lab-lb1" addr flush dev ens33 scope global 2>/dev/null || true
  ip -n "$lab-lb1" addr add 192.168.140.10/24 dev ens33
done
