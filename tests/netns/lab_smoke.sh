#!/usr/bin/env bash
# Smoke test of scripts/lab: brings the namespace LAN up (plain and --dr), checks reachability,
# nginx, VRRP multicast across the bridge and the absence of a way out, then checks that `down`
# (run twice) leaves no namespace, state dir or nginx behind. Exit 77 = skipped (not root / no netns).
set -euo pipefail
cd "$(dirname "$0")/../.."

LAB=scripts/lab
NAME=vlsmoke
NET=192.168.140
PY=$(command -v python3 || true)

# shellcheck source=tests/netns/report.sh
source tests/netns/report.sh
lib_require_root
lib_require_cmds ip nginx curl ping python3
lib_require_netns
expect() {  # expect DESCRIPTION WANT CMD...: passes when CMD prints exactly WANT
  local d=$1 want=$2 got; shift 2
  got=$("$@" 2>/dev/null) || true
  if [ "$got" = "$want" ]; then ok "$d"; else ko "$d (want '$want', got '$got')"; fi
}

listener_pid=""
tmp=$(mktemp -d)
cleanup() {
  if [ -n "$listener_pid" ]; then kill "$listener_pid" 2>/dev/null || true; fi
  "$LAB" down --name "$NAME" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_ns() { local n=$1; shift; ip netns exec "$NAME-$n" "$@"; }

lab_ns_pids() {  # every process in the lab's namespaces
  local n
  for n in lan client lb1 lb2 web1 web2; do ip netns pids "$NAME-$n" 2>/dev/null || true; done
}
lab_pids() {  # every process in the lab's namespaces, plus the nginx masters from the pid files
  lab_ns_pids
  cat "/run/$NAME"/web*/nginx.pid 2>/dev/null || true
}
# ends_lab_processes DESCRIPTION PID...: the PIDs lab_pids found before a `down` no longer run. The list
# must hold web1's and web2's nginx masters (their pid files) as processes seen inside the namespaces:
# an empty or partial list would pass without checking what `down` has to end.
ends_lab_processes() {
  local d=$1 p masters=0
  shift
  for p in "${nginx_masters[@]}"; do case " ${ns_pids[*]} " in *" $p "*) masters=$((masters + 1)) ;; esac; done
  if [ $# -eq 0 ] || [ "$masters" -ne 2 ]; then
    ko "$d: before down, want the lab's processes with web1's and web2's nginx masters; found $# (${*:-none}), $masters of them masters"
  elif running "$@"; then
    ko "$d ($*)"
  else
    ok "$d ($# processes)"
  fi
}
running() {  # running PID...: true when any PID is alive and not a zombie
  local p s
  for p in "$@"; do
    s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    s=${s##*) }
    case ${s%% *} in Z | X | x) ;; *) return 0 ;; esac
  done
  return 1
}
# shellcheck disable=SC2317  # called through check
no_lab_ns() { ! ip netns list | grep -- "$NAME" >/dev/null; }
# shellcheck disable=SC2317
no_default_route() { [ -z "$(ip -n "$NAME-client" route show default)" ] && [ -z "$(ip -n "$NAME-lb1" route show default)" ]; }
# shellcheck disable=SC2317
no_lab_nginx() {  # no live nginx whose command line names this lab's state dir
  local d c
  for d in /proc/[0-9]*; do
    [ "$(cat "$d/comm" 2>/dev/null)" = nginx ] || continue
    c=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
    case $c in *"/run/$NAME/"*) running "${d#/proc/}" && return 1 ;; esac
  done
  return 0
}
# shellcheck disable=SC2317
no_way_out() { ! ip -n "$NAME-client" route get 1.1.1.1 >/dev/null 2>&1; }

# multicast: lb2 joins 224.0.0.18 on ens33 and waits up to 2 s for one IP proto 112 packet from lb1
# shellcheck disable=SC2317
vrrp_multicast() {
  local ready=$tmp/ready result=$tmp/result i
  rm -f "$ready" "$result"
  in_ns lb2 "$PY" - "$NET.11" "$NET.10" "$ready" >"$result" 2>&1 <<'PY' &
import socket, struct, sys, time
me, peer, ready = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton("224.0.0.18") + socket.inet_aton(me))
open(ready, "w").close()
end = time.monotonic() + 2.0
while True:
    left = end - time.monotonic()
    if left <= 0:
        print("timeout"); sys.exit(1)
    s.settimeout(left)
    try:
        pkt = s.recv(2048)
    except socket.timeout:
        print("timeout"); sys.exit(1)
    ihl = (pkt[0] & 0x0F) * 4
    if pkt[9] == 112 and socket.inet_ntoa(pkt[12:16]) == peer and socket.inet_ntoa(pkt[16:20]) == "224.0.0.18" \
            and pkt[8] == 255 and pkt[ihl:ihl + 8] == b"vlsmoke!":
        print("received"); sys.exit(0)
PY
  listener_pid=$!
  for ((i = 0; i < 50; i++)); do [ -e "$ready" ] && break; sleep 0.1; done
  [ -e "$ready" ] || { kill "$listener_pid" 2>/dev/null || true; wait "$listener_pid" 2>/dev/null || true; listener_pid=""; return 1; }
  in_ns lb1 "$PY" - "$NET.10" <<'PY' || true
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.sendto(b"vlsmoke!", ("224.0.0.18", 0))
PY
  local rc=0
  wait "$listener_pid" || rc=$?
  listener_pid=""
  [ $rc -eq 0 ] && grep -qx received "$result"
}

sysctl_in() { in_ns "$1" sysctl -n "$2"; }

# ---- plain lab ----------------------------------------------------------------------------------
"$LAB" down --name "$NAME" >/dev/null 2>&1 || true   # a leftover from an interrupted run
if "$LAB" up --name "$NAME"; then ok "lab up --name $NAME"; else ko "lab up --name $NAME"; exit 1; fi
expect "client -> web1 serves 'web1'" web1 in_ns client curl -s --max-time 2 "http://$NET.21/"
expect "client -> web2 serves 'web2'" web2 in_ns client curl -s --max-time 2 "http://$NET.22/"
expect "web1 /health is ok" ok in_ns client curl -s --max-time 2 "http://$NET.21/health"
expect "web2 /health answers 200" 200 in_ns client curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$NET.22/health"
check_quiet "lb1 pings lb2" in_ns lb1 ping -c1 -W1 "$NET.11"
check_quiet "lb1 has ens33 with $NET.10/24" sh -c "ip -n $NAME-lb1 -4 addr show dev ens33 | grep -q 'inet $NET.10/24'"
check_quiet "br0 has multicast snooping off" sh -c "ip -n $NAME-lan -d link show br0 | grep -q 'mcast_snooping 0'"
check_quiet "VRRP multicast (proto 112 to 224.0.0.18) crosses the bridge lb1 -> lb2" vrrp_multicast
check_quiet "no default route in the lab" no_default_route
check_quiet "no route out of the lab (1.1.1.1 unreachable)" no_way_out
expect "arp_ignore untouched without --dr" "$(sysctl -n net.ipv4.conf.all.arp_ignore)" sysctl_in web1 net.ipv4.conf.all.arp_ignore
check_quiet "no VIP on web1 lo without --dr" sh -c "! ip -n $NAME-web1 addr show dev lo | grep '$NET.100'" >/dev/null
check_quiet "status reports nginx running" sh -c "'$LAB' status --name $NAME | grep -q 'running (pid'"
"$LAB" stop-nginx --name "$NAME" web1 || true
expect "stop-nginx web1: nothing listens" "000" in_ns client curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$NET.21/"
"$LAB" start-nginx --name "$NAME" web1 || true
expect "start-nginx web1: serves again" web1 in_ns client curl -s --max-time 2 "http://$NET.21/"
# shellcheck disable=SC2016  # $$ is for the shell inside the namespace
expect "exec runs in the node's namespace" "$NAME-lb2" "$LAB" exec --name "$NAME" lb2 sh -c 'ip netns identify $$'

mapfile -t pids < <(lab_pids)
mapfile -t ns_pids < <(lab_ns_pids)
mapfile -t nginx_masters < <(cat "/run/$NAME"/web*/nginx.pid 2>/dev/null)
if "$LAB" down --name "$NAME"; then ok "lab down"; else ko "lab down"; fi
check_quiet "down leaves no namespace" no_lab_ns
check_quiet "down removes /run/$NAME" test ! -e "/run/$NAME"
ends_lab_processes "down ends the lab's processes" "${pids[@]}"
if "$LAB" down --name "$NAME"; then ok "second down is harmless"; else ko "second down is harmless"; fi

# ---- DR lab -------------------------------------------------------------------------------------
if "$LAB" up --name "$NAME" --dr; then ok "lab up --dr"; else ko "lab up --dr"; exit 1; fi
for w in web1 web2; do
  check_quiet "$w holds VIP $NET.100/32 on lo" sh -c "ip -n $NAME-$w -4 addr show dev lo | grep -q 'inet $NET.100/32'"
  expect "$w arp_ignore=1 (all)" 1 sysctl_in "$w" net.ipv4.conf.all.arp_ignore
  expect "$w arp_announce=2 (all)" 2 sysctl_in "$w" net.ipv4.conf.all.arp_announce
  expect "$w arp_ignore=1 (eth0)" 1 sysctl_in "$w" net.ipv4.conf.eth0.arp_ignore
  expect "$w arp_announce=2 (eth0)" 2 sysctl_in "$w" net.ipv4.conf.eth0.arp_announce
done
expect "lb1 arp_ignore untouched with --dr" "$(sysctl -n net.ipv4.conf.all.arp_ignore)" sysctl_in lb1 net.ipv4.conf.all.arp_ignore
check_quiet "client gets no ARP answer for the VIP (no LB yet)" sh -c "! ip netns exec $NAME-client ping -c1 -W1 $NET.100"
expect "DR: client -> web1 still serves" web1 in_ns client curl -s --max-time 2 "http://$NET.21/"
mapfile -t pids < <(lab_pids)
mapfile -t ns_pids < <(lab_ns_pids)
mapfile -t nginx_masters < <(cat "/run/$NAME"/web*/nginx.pid 2>/dev/null)
if "$LAB" down --name "$NAME"; then ok "lab down (dr)"; else ko "lab down (dr)"; fi
if "$LAB" down --name "$NAME"; then ok "second down (dr) is harmless"; else ko "second down (dr) is harmless"; fi
check_quiet "down (dr) leaves no namespace" no_lab_ns
check_quiet "down (dr) removes /run/$NAME" test ! -e "/run/$NAME"
ends_lab_processes "down (dr) ends the lab's processes" "${pids[@]}"
check_quiet "no nginx of the lab remains" no_lab_nginx

# ---- failures and leftovers ---------------------------------------------------------------------
if "$LAB" up --name "$NAME" --lb-if 'bad/name' 2>/dev/null; then ko "up rejects a bad interface name"; else ok "up rejects a bad interface name"; fi
check_quiet "a rejected up leaves nothing" no_lab_ns
# An nginx that fails makes `up` fail after the namespaces exist: its trap must tear them down.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/nginx"
chmod +x "$tmp/bin/nginx"
if PATH="$tmp/bin:$PATH" "$LAB" up --name "$NAME" 2>/dev/null; then ko "up fails when nginx fails"; else ok "up fails when nginx fails"; fi
check_quiet "a failed up tears itself down (namespaces)" no_lab_ns
check_quiet "a failed up tears itself down (/run/$NAME)" test ! -e "/run/$NAME"
# A half-built lab with a stray process: down must end it and delete what exists.
ip netns add "$NAME-lan"
ip netns add "$NAME-lb1"
mkdir -p "/run/$NAME/web1"
ip netns exec "$NAME-lb1" sleep 30 &
stray=$!
for ((i = 0; i < 20; i++)); do [ -n "$(ip netns pids "$NAME-lb1")" ] && break; sleep 0.1; done
if "$LAB" down --name "$NAME"; then ok "down on a half-built lab"; else ko "down on a half-built lab"; fi
wait "$stray" 2>/dev/null || true
if running "$stray"; then ko "down ends a stray process in the lab"; else ok "down ends a stray process in the lab"; fi
check_quiet "down on a half-built lab leaves no namespace" no_lab_ns
check_quiet "down on a half-built lab removes /run/$NAME" test ! -e "/run/$NAME"

lib_summary
