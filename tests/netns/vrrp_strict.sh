#!/usr/bin/env bash
# vrrp_strict in kernel mode, in the namespace lab (prefix vstrict): a MASTER without `accept` must not
# answer traffic addressed to its VIPs, as keepalived 2.2.7 (Debian, built with nftables) arranges with
# its `table ip keepalived` (measured: set vips, chains in/out at priority -1 dropping daddr/saddr @vips,
# created when the instance first becomes MASTER, deleted at exit; no_accept without vrrp_strict does the
# same; VRRPv3 with `accept` under vrrp_strict does not). vipd builds that table through libnftables.
#
#   1. strict, v2: lb1 (150) MASTER drops: the client's ping and TCP connect to the VIP get no answer
#      (curl times out instead of being refused), while lb1's own address answers and VRRP goes on
#      (lb2 stays BACKUP hearing lb1). lb2 as BACKUP does not drop the VIP.
#   Every config sets nftables_counters, so a "no answer" is proven to be the drop: the counter of the
#   `ip daddr @vips drop` rule grows by exactly the echo requests sent, and not for lb1's own address.
#   2. SIGTERM lb1: exits 0 with its table gone; lb2 takes over and drops in turn.
#   3. SIGKILL lb2: its table stays behind (the stale drop); a restarted lb2 deletes it at start, before
#      it is MASTER again, and puts the VIP back in a fresh table once MASTER; SIGTERM leaves nothing.
#   4. VRRPv3 with `accept` under vrrp_strict: the VIP answers ping and TCP (refused: nothing listens).
#   5. no_accept without vrrp_strict: dropped, as keepalived does.
#   At the end neither lb has a keepalived table.
# Exit 0 all passed, 1 a failure, 77 skipped (not root, no namespaces, a tool missing).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh

SUBNET=192.168.140
VIP=$SUBNET.100
VIP6=fd00:140::100   # an excluded IPv6 VIP beside the IPv4 one: the ip6 table (neighbour discovery let through)
CLIENT6=fd00:140::50
LB1_IP=$SUBNET.10
TABLE=keepalived

lib_require_root
lib_require_cmds ip nft ping curl
lib_init vstrict
lib_require_netns
lib_require_vipd

# conf FILE PRIORITY GLOBAL_LINES INSTANCE_LINES: one instance on ens33 with the VIP; each *_LINES is a
# ';'-separated list of lines to put in global_defs / the instance
conf() {
  local f=$1 prio=$2 g=$3 i=$4
  # lines LIST: each item of the ';'-separated LIST on a line of its own, indented, after a newline
  lines() { local l ls; IFS=';' read -ra ls <<<"$1"; for l in "${ls[@]}"; do [ -n "$l" ] && printf '\n    %s' "$l"; done; }
  cat >"$f" <<EOF
global_defs {
    router_id vstrict
    nftables_counters$(lines "$g")
}
vrrp_instance VI_1 {
    state BACKUP
    interface $LIB_IF
    virtual_router_id 51
    priority $prio
    advert_int 1$(lines "$i")
    virtual_ipaddress {
        $VIP/24
    }
    virtual_ipaddress_excluded {
        $VIP6/64
    }
}
EOF
}

# drops NODE: the VIP is in NODE's keepalived vips set (its traffic is dropped there)
drops() {
  local out
  out=$(in_ns "$1" nft list set ip "$TABLE" vips 2>/dev/null) || return 1
  [[ $out == *"elements = {"*"$VIP"* ]]
}
drops6() {  # drops6 NODE: the IPv6 VIP is in NODE's ip6 keepalived vips set
  local out
  out=$(in_ns "$1" nft list set ip6 "$TABLE" vips 2>/dev/null) || return 1
  [[ $out == *"elements = {"*"$VIP6"* ]]
}
has_table() {  # has_table NODE: an ip or ip6 table named keepalived exists in NODE
  local out
  out=$(in_ns "$1" nft list tables 2>/dev/null) || return 1
  [[ $out == *"table ip $TABLE"* || $out == *"table ip6 $TABLE"* ]]
}
pings() { in_ns client ping -n -c 3 -i 0.2 -W 1 "$1" >/dev/null 2>&1; }  # any reply (IPv4 or IPv6)
# drop_count NODE ip|ip6: the packets counted by NODE's `ip[6] daddr @vips counter drop` input rule
drop_count() {
  in_ns "$1" nft list chain "$2" "$TABLE" in 2>/dev/null |
    awk '/daddr @vips counter packets [0-9]+ bytes [0-9]+ drop/ { for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}
# ping_dropped NODE ip|ip6 ADDRESS: the client's 3 echo requests to ADDRESS get no reply, and NODE's drop
# counter grew by exactly the requests sent (so it was the drop, not any other reachability failure).
# PD_MSG says what was seen.
ping_dropped() {
  local before after out sent got
  before=$(drop_count "$1" "$2")
  out=$(in_ns client ping -n -c 3 -i 0.2 -W 1 "$3" 2>&1)
  after=$(drop_count "$1" "$2")
  sent=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1/p' <<<"$out")
  got=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\2/p' <<<"$out")
  PD_MSG="sent ${sent:-?}, replies ${got:-?}, $1's drop counter ${before:-none} -> ${after:-none}"
  [ -n "$before" ] && [ -n "$after" ] && [ "${sent:-0}" -eq 3 ] && [ "${got:-1}" -eq 0 ] && [ $((after - before)) -eq "$sent" ]
}
# check_ping_dropped DESCRIPTION NODE ip|ip6 ADDRESS
check_ping_dropped() {
  if ping_dropped "$2" "$3" "$4"; then ok "$1 ($PD_MSG)"; else ko "$1 ($PD_MSG)"; fi
}
# wait_accepted PID ABOVE TIMEOUT: the instance's accepted-advert counter goes above ABOVE (VRRP still flows)
wait_accepted() {
  local end=$(($(now_us) + $(secs_to_us "$3"))) i v
  for ((i = 0; i < 1000; i++)); do
    v=$(accepted_of "$1")
    [ -n "$v" ] && [ "$v" -gt "$2" ] && return 0
    [ "$(now_us)" -lt "$end" ] || return 1
    lib_sleep 0.2
  done
  return 1
}
tcp_rc() { in_ns client curl -s -o /dev/null --connect-timeout 2 "http://$1:80/"; echo $?; }  # 7 refused, 28 no answer
state_of() { vipd_stats "$1" 5 | awk '/^  State: / { print $2; exit }'; }
accepted_of() { vipd_stats "$1" 5 | awk '/^  Advertisements accepted: / { print $3; exit }'; }

lab_up --subnet "$SUBNET"
in_ns client ip addr add "$CLIENT6/64" dev eth0 nodad || lib_die "cannot give the client $CLIENT6"
T=$LIB_TMP
LB2_MD=$((3 * 1000 + (256 - 100) * 1000 / 256))  # lb2's master-down interval, ms

# ---- 1. strict, v2, no accept ----------------------------------------------------------------------
echo "# 1. vrrp_strict, VRRPv2, no accept: lb1 (150) MASTER, lb2 (100) BACKUP"
conf "$T/s-lb1.conf" 150 "vrrp_strict" ""
conf "$T/s-lb2.conf" 100 "vrrp_strict" ""
start_vipd lb1 "$T/s-lb1.conf" "$T/s-lb1.log"
P1=$LAST_PID
start_vipd lb2 "$T/s-lb2.conf" "$T/s-lb2.log"
P2=$LAST_PID
if wait_for_vip lb1 "$VIP" 10 && wait_for_log "$T/s-lb1.log" 'Entering MASTER STATE' 2; then ok "strict: lb1 MASTER with $VIP"
else ko "strict: lb1 MASTER with $VIP"; tail -n 20 "$T/s-lb1.log"; fi
check "strict: lb1 logged keepalived's 'setting firewall drop rule' before MASTER" \
  eval "grep -n -E '\(VI_1\) (setting firewall drop rule|Entering MASTER STATE)' '$T/s-lb1.log' | head -n 1 | grep -q 'setting firewall drop rule'"
check "strict: lb1's nftables set 'ip $TABLE vips' holds $VIP" drops lb1
check "strict: lb1's table has keepalived's rules, counted (in: ip daddr @vips counter drop, out: ip saddr @vips counter drop, priority -1)" \
  eval "in_ns lb1 nft list table ip $TABLE | tr -s ' \t' ' ' > '$T/table.txt' && grep -q 'hook input priority filter - 1; policy accept;' '$T/table.txt' && grep -qE 'ip daddr @vips counter packets [0-9]+ bytes [0-9]+ drop' '$T/table.txt' && grep -qE 'ip saddr @vips counter packets [0-9]+ bytes [0-9]+ drop' '$T/table.txt'"
check "strict: lb2 (BACKUP) does not drop $VIP" eval "! drops lb2"
check_ping_dropped "strict: the client's ping to $VIP gets no reply: lb1 dropped each echo request" lb1 ip "$VIP"
c0=$(drop_count lb1 ip)
rc=$(tcp_rc "$VIP")
c1=$(drop_count lb1 ip)
check "strict: the client's TCP connect to $VIP:80 gets no answer (curl exit $rc; 28 = timed out, 7 would be refused), lb1 dropped its SYNs (counter ${c0:-none} -> ${c1:-none})" \
  eval "[ '$rc' = 28 ] && [ -n '$c0' ] && [ -n '$c1' ] && [ '${c1:-0}' -gt '${c0:-0}' ]"
# The control: the same client, path and host answer for the address that is not a VIP, uncounted.
c0=$(drop_count lb1 ip)
check "strict: lb1's own address $LB1_IP still answers ping" pings "$LB1_IP"
c1=$(drop_count lb1 ip)
check "strict: ... and lb1's drop counter did not count it (${c0:-none} -> ${c1:-none})" eval "[ -n '$c0' ] && [ '$c0' = '$c1' ]"
check "strict: lb1's ip6 set holds the excluded IPv6 VIP $VIP6" drops6 lb1
check_ping_dropped "strict: the client's ping to $VIP6 gets no reply: lb1 dropped each echo request" lb1 ip6 "$VIP6"
check "strict: neighbour discovery for $VIP6 still let through" \
  eval "in_ns client ip -6 neigh show $VIP6 | grep -qE 'REACHABLE|STALE|DELAY|PROBE'"
a0=$(accepted_of "$P2")
check "strict: VRRP goes on: lb2 still BACKUP, hearing lb1 (accepted ${a0:-?}, then more)" \
  eval "wait_accepted $P2 ${a0:-0} 3 && [ \"\$(state_of $P2)\" = BACKUP ]"

# ---- 2. SIGTERM: table gone, lb2 takes over and drops -------------------------------------------
echo "# 2. SIGTERM lb1: its table is deleted; lb2 takes over and drops"
stop_pid "$P1" 5
check "SIGTERM: lb1 exited 0 (got $LAST_RC)" test "$LAST_RC" = 0
check "SIGTERM: lb1 logged 'removing firewall drop rule'" wait_for_log "$T/s-lb1.log" '\(VI_1\) removing firewall drop rule' 1
check "SIGTERM: no $TABLE table left in lb1" eval "! has_table lb1"
check "SIGTERM: lb2 takes $VIP" wait_for_vip lb2 "$VIP" 3
check "SIGTERM: lb2 drops $VIP now" drops lb2
check_ping_dropped "SIGTERM: the client's ping to $VIP still gets no reply: lb2 (strict) dropped each echo request" lb2 ip "$VIP"

# ---- 3. SIGKILL leaves a stale table; the next start deletes it ----------------------------------
echo "# 3. SIGKILL lb2: its table stays behind; the restarted lb2 deletes it at start"
crash_pid "$P2"
check "SIGKILL: lb2's table is left behind, still dropping $VIP" drops lb2
in_ns lb2 ip addr del "$VIP/24" dev "$LIB_IF" 2>/dev/null
start_vipd lb2 "$T/s-lb2.conf" "$T/s-lb2b.log"
P2=$LAST_PID
if wait_for_log "$T/s-lb2b.log" 'Entering BACKUP STATE \(init\)' 5; then
  check "restart: the stale drop is gone at start, before lb2 is MASTER" eval "! drops lb2 && ! grep -q 'Entering MASTER' '$T/s-lb2b.log'"
else
  ko "restart: lb2 starts"; tail -n 20 "$T/s-lb2b.log"
fi
check "restart: lb2 alone becomes MASTER" wait_for_vip lb2 "$VIP" $(((LB2_MD + 3000) / 1000))
check "restart: lb2 drops $VIP again, in a fresh table" eval "wait_for_log '$T/s-lb2b.log' 'setting firewall drop rule' 1 && drops lb2"
stop_pid "$P2" 5
check "restart: SIGTERM leaves no $TABLE table in lb2 (exit $LAST_RC)" eval "[ $LAST_RC = 0 ] && ! has_table lb2"

# lb1_alone STEP BASE PRIO GLOBAL INSTANCE: lb1 alone on BASE.conf (conf's arguments), its log in
# BASE.log, PID in P1; checked to become MASTER with the VIP
lb1_alone() {
  local step=$1 base=$2
  shift 2
  conf "$base.conf" "$@"
  start_vipd lb1 "$base.conf" "$base.log"
  P1=$LAST_PID
  if wait_for_vip lb1 "$VIP" 10; then ok "$step: lb1 MASTER with $VIP"; else ko "$step: lb1 MASTER with $VIP"; tail -n 20 "$base.log"; fi
}

# ---- 4. VRRPv3 + accept under vrrp_strict: the VIP answers --------------------------------------
echo "# 4. vrrp_strict, VRRPv3 with accept: lb1 MASTER answers for $VIP"
lb1_alone accept "$T/a-lb1" 150 "vrrp_strict" "version 3;accept"
check "accept: no drop for $VIP in lb1" eval "! drops lb1"
check "accept: the client's ping to $VIP is answered" pings "$VIP"
check "accept: the client's ping to $VIP6 is answered" pings "$VIP6"
rc=$(tcp_rc "$VIP")
check "accept: the client's TCP connect to $VIP:80 is answered (refused: curl exit $rc, want 7)" test "$rc" = 7
stop_pid "$P1" 5
check "accept: SIGTERM leaves no $TABLE table in lb1" eval "! has_table lb1"

# ---- 5. no_accept without vrrp_strict: dropped, as keepalived does -------------------------------
echo "# 5. no_accept without vrrp_strict: lb1 MASTER drops"
lb1_alone no_accept "$T/n-lb1" 150 "" "no_accept"
check "no_accept: lb1 drops $VIP" drops lb1
check_ping_dropped "no_accept: the client's ping to $VIP gets no reply: lb1 dropped each echo request" lb1 ip "$VIP"
stop_pid "$P1" 5
check "no_accept: SIGTERM (exit $LAST_RC) leaves no $TABLE table in lb1" eval "[ $LAST_RC = 0 ] && ! has_table lb1"
check "end: lb1 released $VIP" eval "! has_vip lb1 $VIP"
check "end: no $TABLE table in lb1 or lb2" eval "! has_table lb1 && ! has_table lb2"

lib_summary
