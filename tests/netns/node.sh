#!/usr/bin/env bash
# vipd as a whole node on a forwarding dataplane, in the namespace lab (prefix dpdknode or xdpnode):
# one script, run once per dataplane (DATAPLANE=dpdk or xdp; meson registers dpdk_node and xdp_node).
#   dpdk: DPDK takes each LB's ens33 through net_af_xdp, the kernel keeps the node's address on a TAP
#         (vd-ens33), VRRP and ARP run over the dataplane, DR and NAT are forwarded in user space.
#   xdp:  vipd's XDP program is attached to ens33 by a bpf_link of the process, the node's address
#         stays on ens33, VRRP runs on the kernel's raw sockets, the VIPs are held on a TAP of vipd's
#         (vx-ens33), and DR and NAT are forwarded in the driver.
# Where the two differ (where the addresses live, what a crash leaves, the DPDK-only --pmd and
# guardian), the step says which dataplane it is for.
#
#   1. DR exactly as ../shared/corpus/seeds/seed001-lvs-dr-{master,backup}.conf (unmodified): web1 and
#      web2 are 192.168.235.12/.13 with the VIP on lo (arp_ignore=1, arp_announce=2); lb1 MASTER, lb2
#      BACKUP (hearing lb1's adverts through its dataplane); the node's address moved to vd-ens33;
#      curl from the client reaches web1 and web2 in turn (rr); the client resolves the VIP to lb1's MAC;
#      the node still answers ping on its own address (exception path); HTTP_GET checks see both up;
#      SIGUSR2's statistics count the connections per virtual and real server (ipvsadm's layout); an
#      ICMP fragmentation needed to the VIP about a flow reaches that flow's real server's kernel (path
#      MTU discovery through the balancer), one about no flow neither real server.
#   2. SIGKILL lb1: lb2 takes over (GARP: the client's neighbour entry moves to lb2's MAC), curl goes on.
#      Crash safety: lb1 answers nothing for the VIP (its TAP and every address on it died with it).
#      Its guardian puts lb1's address and static route back on ens33 within 3 s and detaches the
#      program net_af_xdp left attached; the node answers ping on its own address again.
#   3. lb1 restarts: it takes its address and route from ens33 again, preempts, and curl goes through
#      it. 3a: guardian and vipd both killed (as systemctl kill does): nothing comes back until
#      `vipd --restore-interfaces` (ExecStopPost) puts it back. Then alone with --pmd af_packet.
#   4. Health checks under load (a config of this test: HTTP_GET every second): nginx stops on web1 →
#      "Removing service" within delay_loop + connect_timeout × retry, no new connection reaches web1
#      and wrk sees no failed request after that; nginx back → "Adding service", web1 serves again.
#   5. SIGHUP with an unrelated change during a wrk run: zero failed requests, no state change, the VIP
#      kept. 5b. SIGHUPs that change the service (a real server leaves: new connections go to the other
#      only), that are refused (the running config goes on serving), and that remove the virtual server
#      (its port is no longer balanced; the VIP stays).
#   6. Flows survive failover with lb_algo mh: a keep-alive wrk run through the VIP sees no connection
#      error when the MASTER is SIGKILLed, the backup sending mid-flow packets by the same Maglev table.
#   6b. Real keepalived 2.2.7 as the peer: it steps down for the DPDK node's adverts, takes over on its
#      priority-0 advert, steps down again when it preempts; whichever is MASTER answers the client's
#      ARP and ping for the VIP; tshark on the bridge judges every advert and gratuitous ARP that left
#      the dataplane.
#   7. NAT with a sync group (lab with a second segment, web1/web2 behind the LBs): the external VIP on
#      ens33 and the backends' gateway VIP on eth1 move together; requests and replies pass, backends
#      see the client's address, wrk sees no failure; after a SIGKILL, lb2 holds both and serves.
#   8. A single NAT node whose backend segment (eth1) has a plain static address and no VRRP
#      instance: eth1 is taken because the routes to the real servers leave by it; requests and
#      replies pass.
#   9. (xdp) A mixed pair, lb1 on DPDK and lb2 on XDP, with mh: keep-alive flows survive the failover
#      both ways (the same Maglev table and hash on both dataplanes).
#   10. lb_kind TUN: lb1 sends IPIP to web1/web2, which decapsulate it in XDP (ipip_decap.bpf.c; no
#      ipip module here): curl answered by both in turn, the lab's bridge counts every request
#      crossing in IPIP (nftables, bridge family).
#   11. web1 gets a new MAC and announces nothing: lb1 (--arp-reachable-ms 2000) probes the silent
#      next hop, learns the new MAC from the answer and serves web1 again within 10 s (the kernel's
#      own timers would take 15 to 45 s).
#   12. --new-flow-rate 10: 30 connections opened at once are more than the bucket holds, some SYNs
#      are shed as new_flow_rate, TCP's retransmissions get in, and every request is answered.
#   SIGTERM: every vipd exits 0, the interfaces get their addresses back, no TAP is left.
# Exit 0 all passed, 1 a failure, 77 skipped (not root, no namespaces, or no AF_XDP on veth: each
# probed on its own by scripts/capabilities before vipd starts; a vipd that fails to start fails).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh

SUBNET=192.168.235
VIP=$SUBNET.100
WEB1=$SUBNET.12
WEB2=$SUBNET.13
SEEDS=${SEEDS:-../shared/corpus/seeds}

DP=${DATAPLANE:-dpdk}
case $DP in
  dpdk) TAPP=vd- ;;  # the TAP that carries the node's addresses and the VIPs
  xdp) TAPP=vx- ;;   # the TAP that carries the VIPs only
  *) echo "DATAPLANE=$DP: dpdk or xdp" >&2; exit 1 ;;
esac
# vipdev IF: where the node holds the VIPs of IF while it owns them
vipdev() { echo "$TAPP$1"; }

lib_require_root
lib_require_cmds ip curl wrk nginx ethtool keepalived tshark taskset nft
lib_init "${DP}node"
lib_require_netns
lib_require_vipd
if [ "$DP" = dpdk ]; then
  # AF_XDP on a veth is what the node runs on: without it (an old kernel) there is nothing to test.
  # Probed with dpdk-testpmd on a scratch veth, never inferred from vipd's own log.
  if ! why=$(scripts/capabilities af_xdp); then lib_skip "$why"; fi
else
  # Native XDP on a veth, probed with a scratch program (ip link ... xdp), never from vipd's log.
  if ! why=$(scripts/capabilities xdp); then lib_skip "$why"; fi
fi
"$VIPD" --dataplane="$DP" --version >/dev/null 2>&1 || lib_die "vipd does not run"
# A build without the dataplane says so at start; that is a failure here, not a skip.
if "$VIPD" --dataplane="$DP" -f /dev/null -n -l 2>&1 | grep -q "this build has no"; then
  lib_die "this vipd has no $DP dataplane (built without it?)"
fi
[ -f "$SEEDS/seed001-lvs-dr-master.conf" ] || lib_die "seed configs not found in $SEEDS"

lab_up --subnet "$SUBNET" --dr --web-hosts 12,13
# A static route of the node's own (to a documentation prefix, via the client: it stays in the lab),
# which vipd moves to the TAP and a crash must not lose.
NODE_ROUTE=198.51.100.0/24
ip -n "$(ns_of lb1)" route add "$NODE_ROUTE" via "$SUBNET.50" dev ens33 || lib_die "cannot add lb1's static route"
has_route() { ip -n "$(ns "$1")" route show "$NODE_ROUTE" | grep -q "via $SUBNET.50 dev $2"; }
# restored NODE: the node's address and static route are on ens33 again, and nothing is attached to it
restored() {
  ip -n "$(ns "$1")" -br addr show dev ens33 | grep -qw "$SUBNET.1[01]/24" && has_route "$1" ens33 &&
    ! ip -n "$(ns "$1")" link show dev ens33 | grep -q 'prog/xdp'
}

ns() { echo "${LAB_NAME}-$1"; }
mac_of() { ip -n "$(ns "$1")" -br link show dev "${2:-ens33}" | awk '{print $3}'; }
client_vip_mac() { ip -n "$(ns client)" neigh show "$VIP" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
# get N: N requests through the VIP (each a new connection); prints the bodies, one per line. The
# client runs on CPU 0: the XDP program's rr cursor is per CPU (as IPVS's is per service, but each
# CPU keeps its own), and veth runs the receiver's XDP on the sender's CPU, so one CPU sees strict rr.
get() {
  local i
  for ((i = 0; i < $1; i++)); do
    ip netns exec "$(ns client)" taskset -c 0 curl -s -m 2 "http://$VIP/" || echo "curl-failed"
  done
}
# start_lb NODE CONF [ARGS...]: vipd on this run's dataplane; LB_PID/LB_LOG set, and L1/L1_LOG for
# lb1, L2/L2_LOG for lb2
start_lb() { start_lb_on "$DP" "$@"; }
declare -A DP_OF=()  # the dataplane each node runs now
# start_lb_on DATAPLANE NODE CONF [ARGS...]
start_lb_on() {
  local dp=$1 node=$2 conf=$3
  shift 3
  LB_LOG="$LIB_TMP/$node-$LIB_SEQ.log"
  start_vipd "$node" "$conf" "$LB_LOG" --dataplane="$dp" --state-dir "$LIB_TMP/state-$node" "$@"
  LB_PID=$LAST_PID
  DP_OF[$node]=$dp
  case $node in
    lb1) L1=$LB_PID L1_LOG=$LB_LOG ;;
    lb2) L2=$LB_PID L2_LOG=$LB_LOG ;;
  esac
}
# attached NODE IF: an XDP program is on NODE's IF
attached() { ip -n "$(ns "$1")" link show dev "$2" | grep -q 'prog/xdp'; }
stat_of() {  # stat_of PID NAME: a counter of the dataplane's statistics
  vipd_stats "$1" 3 | awk -v k="$2" '$1 == k {print $2} $1 == "verdict" && $2 == k {print $3}' | head -1
}
# conns_of PID ADDR:PORT: the Conns column of a virtual server's or real server's line in the
# statistics (ipvsadm -Ln --stats's layout, both dataplanes)
conns_of() {
  vipd_stats "$1" 3 | awk -v a="$2" '($1 == "TCP" || $1 == "UDP" || $1 == "->") && $2 == a {print $3; exit}'
}
has_addr() { ip -n "$(ns "$1")" -br addr show dev "$2" 2>/dev/null | grep -qw -- "$3"; }
# frag_needed_to_vip CPORT: the client sends the VIP an ICMP fragmentation needed (MTU 1400) quoting
# a VIP:80 → client:CPORT segment, as a router between a real server's reply and the client would
frag_needed_to_vip() {
  ip netns exec "$(ns client)" python3 - "$VIP" "$SUBNET.50" "$1" <<'PY'
import socket, struct, sys
vip, client, cport = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0x4000, 63, 6, 0, socket.inet_aton(vip), socket.inet_aton(client))
inner = inner[:10] + struct.pack("!H", csum(inner)) + inner[12:] + struct.pack("!HHI", 80, cport, 12345)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + inner
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).sendto(icmp, (vip, 0))
PY
}
# snmp_of NODE GROUP FIELD: a counter of NODE's kernel from /proc/net/snmp (GROUP Ip, Icmp, Udp…)
snmp_of() {
  ip netns exec "$(ns "$1")" awk -v g="$2:" -v f="$3" '$1 == g && !h {split($0, n); h = 1; next}
    $1 == g {for (i = 2; i <= NF; i++) if (n[i] == f) print $i}' /proc/net/snmp
}
# unreach_in NODE: the ICMP destination unreachable messages NODE's kernel has received
unreach_in() { snmp_of "$1" Icmp InDestUnreachs; }
# reassembled NODE...: the datagrams the NODEs' kernels reassembled from fragments, summed
reassembled() {
  local n t=0
  for n in "$@"; do t=$((t + $(snmp_of "$n" Ip ReasmOKs))); done
  echo "$t"
}
# reassembled_past N NODE...: they have reassembled more than N datagrams
reassembled_past() {
  local n=$1
  shift
  [ "$(reassembled "$@")" -gt "$n" ]
}
# fragmented_syn_to_vip CPORT: the client sends VIP:80 a SYN with 64 bytes of data from port CPORT in
# two IP fragments (the first with the TCP header and 4 bytes, the last at offset 3), as a router
# with a small MTU on the way would have cut it
fragmented_syn_to_vip() {
  ip netns exec "$(ns client)" python3 - "$VIP" "$SUBNET.50" "$1" <<'PY'
import socket, struct, sys
vip, client, cport = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
src, dst = socket.inet_aton(client), socket.inet_aton(vip)
seg = struct.pack("!HHIIBBHHH", cport, 80, 1000, 0, 0x50, 0x02, 64240, 0, 0) + b"f" * 64
seg = seg[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(seg)) + seg)) + seg[18:]
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for off, part, mf in ((0, seg[:24], 0x2000), (3, seg[24:], 0)):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(part), 0x5151, mf | off, 64, 6, 0, src, dst)
    raw.sendto(hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + part, (vip, 0))
PY
}
# serves_via NODE: a request through the VIP succeeds and the client resolves the VIP to NODE's MAC
serves_via() {
  ip netns exec "$(ns client)" curl -s -m 1 -o /dev/null "http://$VIP/" && [ "$(client_vip_mac)" = "$(mac_of "$1")" ]
}
# pings_via NODE: the client's ping to the VIP is answered, and the client resolves the VIP to NODE's MAC
pings_via() {
  ip netns exec "$(ns client)" ping -c 1 -W 1 "$VIP" >/dev/null && [ "$(client_vip_mac)" = "$(mac_of "$1")" ]
}
# forwarded_past PID N: the dataplane of PID has forwarded more than N frames
forwarded_past() { [ "$(stat_of "$1" forward)" -gt "$2" ]; }

start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf"
if ! wait_for_log "$L1_LOG" "Entering (BACKUP|MASTER) STATE|dataplane:" 20 || grep -q "$DP dataplane:" "$L1_LOG"; then
  cat "$L1_LOG" >&2
  lib_die "lb1's $DP dataplane did not start"
fi
start_lb lb2 "$SEEDS/seed001-lvs-dr-backup.conf"

echo "# 1. DR as seed001, unmodified"
check "lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "lb2 is BACKUP" wait_for_log "$L2_LOG" "Entering BACKUP STATE" 10
check "both real servers pass HTTP_GET on lb1" wait_for_log "$L1_LOG" "Remote Web server \[($WEB1|$WEB2)\]:tcp:80 succeed" 10 2
if [ "$DP" = dpdk ]; then
  check "lb1's address moved from ens33 to the TAP vd-ens33" bash -c "! ip -n $(ns lb1) -br addr show dev ens33 | grep -q $SUBNET.10 && ip -n $(ns lb1) -br addr show dev vd-ens33 | grep -qw $SUBNET.10/24"
else
  check "lb1's address stays on ens33, vipd's program is attached to it" bash -c "ip -n $(ns lb1) -br addr show dev ens33 | grep -qw $SUBNET.10/24 && ip -n $(ns lb1) link show dev ens33 | grep -q 'prog/xdp .*name vipd_xdp'"
  check "the program is attached natively (driver mode), by a link (no pin in bpffs)" bash -c "ip -n $(ns lb1) -d link show dev ens33 | grep -q 'xdp ' && ! ls /sys/fs/bpf 2>/dev/null | grep -q vipd"
  check "the VIP is not on ens33 (never on the NIC's interface)" bash -c "! ip -n $(ns lb1) -br addr show dev ens33 | grep -q '$VIP/'"
fi
check "the VIP is on lb1's TAP $(vipdev ens33) (the kernel holds it for local services)" has_addr lb1 "$(vipdev ens33)" "$VIP/24"
check "the client is served through lb1" wait_until 5 serves_via lb1
out=$(get 4 | tr '\n' ' ')
note "4 requests: $out"
check "curl reaches web1 and web2 in turn (rr)" bash -c "[[ '$out' == 'web1 web2 web1 web2 ' || '$out' == 'web2 web1 web2 web1 ' ]]"
check "the client resolves the VIP to lb1's MAC" bash -c "[ '$(client_vip_mac)' = '$(mac_of lb1)' ]"
check_quiet "lb1 answers ping on its own address (exception path)" ip netns exec "$(ns client)" ping -c 2 -W 1 "$SUBNET.10"
fwd=$(stat_of "$L1" forward)
check "lb1's dataplane forwarded the requests (forward=$fwd)" bash -c "[ '${fwd:-0}' -ge 12 ]"
# After start, every thread (DPDK's lcores and EAL threads too) keeps control's capabilities and the
# dataplane's: CAP_BPF for XDP's maps, CAP_IPC_LOCK for DPDK's hugepages.
caps_want=$([ "$DP" = xdp ] && echo 0000008000003001 || echo 0000000000007001)
caps_bad=$(caps_left "$L1" "$caps_want")
check "every thread of lb1's vipd holds only chown, net_admin, net_raw and $([ "$DP" = xdp ] && echo bpf || echo ipc_lock)${caps_bad:+ (not:$caps_bad)}" test -z "$caps_bad"
c_vs=$(conns_of "$L1" "$VIP:80")
c_w1=$(conns_of "$L1" "$WEB1:80")
c_w2=$(conns_of "$L1" "$WEB2:80")
check "lb1's statistics count the connections per virtual and real server ($VIP:80 $c_vs = $WEB1:80 $c_w1 + $WEB2:80 $c_w2, at least the 5 requests)" \
  bash -c "[ '${c_vs:-0}' -ge 5 ] && [ '${c_w1:-0}' -ge 2 ] && [ '${c_w2:-0}' -ge 2 ] && [ \$((${c_w1:-0} + ${c_w2:-0})) -eq '${c_vs:-0}' ]"
# Path MTU discovery through the balancer: an ICMP error about a flow goes to the flow's real server.
served=$(ip netns exec "$(ns client)" curl -s -m 2 --local-port 45000 "http://$VIP/")
other=$([ "$served" = web1 ] && echo web2 || echo web1)
u_served=$(unreach_in "$served")
u_other=$(unreach_in "$other")
frag_needed_to_vip 45000
relayed() { [ "$(unreach_in "$served")" -gt "$u_served" ] && [ "$(unreach_in "$other")" -eq "$u_other" ]; }
check "fragmentation needed about VIP:80 → client:45000 reaches the flow's real server ($served), not $other" wait_until 2 relayed
u_served=$(unreach_in "$served")
frag_needed_to_vip 45001
sleep 1
check "one about client:45001 (no flow) reaches neither real server (lb1's kernel has it)" \
  bash -c "[ '$(unreach_in "$served")' -eq '$u_served' ] && [ '$(unreach_in "$other")' -eq '$u_other' ]"
# Fragments (review M4): the first by its flow, the rest after it, to the real server that
# reassembles them; to a VIP port with no service, the node's own kernel reassembles them.
r_web=$(reassembled web1 web2)
fragmented_syn_to_vip 45002
check "a SYN cut in two fragments reaches a real server whole (web1 + web2 reassembled $r_web before)" \
  wait_until 2 reassembled_past "$r_web" web1 web2
r_lb1=$(reassembled lb1)
ip netns exec "$(ns client)" python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER, IP_PMTUDISC_DONT: cut, never DF
s.sendto(b'u' * 3000, ('$VIP', 9))"
check "a 3000-byte UDP datagram to VIP:9 (no service), fragmented by the client: lb1's kernel reassembles it ($r_lb1 before)" \
  wait_until 2 reassembled_past "$r_lb1" lb1
if [ "$DP" = dpdk ]; then
  vin=$(stat_of "$L2" vrrp_in)
  check "lb2 receives lb1's adverts through its dataplane (vrrp_in=$vin)" bash -c "[ '${vin:-0}' -ge 2 ]"
else
  vin=$(stat_of "$L2" to_control)
  check "lb2's program passes lb1's adverts to the kernel's VRRP socket (to_control=$vin)" bash -c "[ '${vin:-0}' -ge 2 ]"
fi

echo "# 2. SIGKILL the MASTER"
crash_pid "$L1"
t0=$(now_us)
check "lb2 takes over" wait_for_log "$L2_LOG" "Entering MASTER STATE" 10
note "takeover after $((($(now_us) - t0) / 1000)) ms"
out=$(get 2 | tr '\n' ' ')
check "curl goes on through lb2 ($out)" bash -c "[[ '$out' != *curl-failed* ]]"
check "the client's neighbour entry for the VIP moved to lb2's MAC (GARP)" bash -c "[ '$(client_vip_mac)' = '$(mac_of lb2)' ]"
check "crash safety: lb1 has no TAP and holds the VIP nowhere" bash -c "! ip -n $(ns lb1) link show $(vipdev ens33) >/dev/null 2>&1 && ! ip -n $(ns lb1) addr | grep -q '$VIP/'"
if [ "$DP" = dpdk ]; then
  check "crash safety: the guardian puts lb1's address and route back on ens33, net_af_xdp's program detached (within 3 s)" wait_until 3 restored lb1
  check "the guardian logged it" wait_for_log "$L1_LOG" "restore: ens33: net_af_xdp's leftover xsk_def_prog detached" 3
else
  check "crash safety: the kernel detached vipd's program with its link (nothing on ens33 within 1 s)" wait_until 1 bash -c "! ip -n $(ns lb1) link show dev ens33 | grep -q prog/xdp"
  check "lb1's address and static route never left ens33" restored lb1
fi
check_quiet "lb1 answers ping on its own address again, through the kernel" ip netns exec "$(ns client)" ping -c 1 -W 1 "$SUBNET.10"

echo "# 3. lb1 restarts"
start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf"
if [ "$DP" = dpdk ]; then
  check "lb1 takes its address and route from ens33 again" wait_for_log "$L1_LOG" "ens33: 1 address\(es\) and 1 route\(s\) moved to vd-ens33" 10
  check "the route moved to the TAP with the address" has_route lb1 vd-ens33
else
  check "lb1 attaches its program to ens33 again" wait_for_log "$L1_LOG" "ens33: XDP program attached" 10
fi
check "lb1 preempts" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "lb2 goes back to BACKUP" wait_for_log "$L2_LOG" "Entering BACKUP STATE" 10 2
check "the client is served through lb1 again (GARP moved its neighbour entry back)" wait_until 5 serves_via lb1
out=$(get 2 | tr '\n' ' ')
check "curl goes through lb1 again ($out)" bash -c "[[ '$out' != *curl-failed* ]] && [ '$(client_vip_mac)' = '$(mac_of lb1)' ]"
stop_pid "$L1" 10
check "SIGTERM: lb1 exits 0" [ "$LAST_RC" -eq 0 ]
stop_pid "$L2" 10
check "SIGTERM: lb2 exits 0" [ "$LAST_RC" -eq 0 ]
for n in lb1 lb2; do
  check "$n: ens33 has its address back, nothing attached, no TAP is left" bash -c "ip -n $(ns $n) -br addr show dev ens33 | grep -q '$SUBNET\.1[01]/24' && ! ip -n $(ns $n) link show $(vipdev ens33) >/dev/null 2>&1 && ! ip -n $(ns $n) link show dev ens33 | grep -q prog/xdp"
done
check "SIGTERM: lb1 logged the detach" wait_for_log "$L1_LOG" "ens33: XDP program detached|addresses and routes put back" 1

if [ "$DP" = xdp ]; then
  echo "# 3x. (xdp) what vipd refuses on the XDP hook, and generic mode"
  # A foreign program on the hook (one that passes everything, built here): vipd refuses to replace it.
  printf '%s\n' '__attribute__((section("xdp"), used)) int foreign_pass(void *ctx) { return 2; }' \
    'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$LIB_TMP/foreign.c"
  if clang -target bpf -O2 -c "$LIB_TMP/foreign.c" -o "$LIB_TMP/foreign.o" 2>"$LIB_TMP/foreign.err" &&
    ip -n "$(ns lb1)" link set dev ens33 xdpdrv obj "$LIB_TMP/foreign.o" sec xdp; then
    start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf"
    wait_exit 10 "$LB_PID"
    lib_reap "$LB_PID"
    check "a foreign XDP program on ens33: vipd refuses to start (exit $LAST_RC) and says why" bash -c "[ $LAST_RC -ne 0 ] && grep -q 'another XDP program is attached (foreign_pass' '$LB_LOG'"
    check "the foreign program is left where it was, and no TAP was left" bash -c "ip -n $(ns lb1) link show dev ens33 | grep -q 'name foreign_pass' && ! ip -n $(ns lb1) link show vx-ens33 >/dev/null 2>&1"
    start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf" --xdp-replace
    check "--xdp-replace: vipd detaches it and attaches its own" wait_for_log "$LB_LOG" "ens33: XDP program attached" 10
    check "--xdp-replace: vipd's program is the one on ens33" bash -c "ip -n $(ns lb1) link show dev ens33 | grep -q 'name vipd_xdp'"
    stop_pid "$LB_PID" 10
    check "SIGTERM after --xdp-replace: nothing left on ens33" bash -c "! ip -n $(ns lb1) link show dev ens33 | grep -q prog/xdp"
  else
    check "a foreign XDP program could be built and attached for the refusal test" false
    cat "$LIB_TMP/foreign.err" >&2
  fi
  start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf" --xdp-mode generic
  check "--xdp-mode generic warns that it is slower" wait_for_log "$LB_LOG" "XDP in generic mode" 10
  check "generic mode: attached as xdpgeneric" wait_until 5 bash -c "ip -n $(ns lb1) link show dev ens33 | grep -q 'xdpgeneric'"
  check "generic mode: lb1 alone becomes MASTER" wait_for_log "$LB_LOG" "Entering MASTER STATE" 10
  check "generic mode: the client is served through lb1" wait_until 5 serves_via lb1
  stop_pid "$LB_PID" 10
  check "SIGTERM (generic): exits 0, nothing attached" bash -c "[ $LAST_RC -eq 0 ] && ! ip -n $(ns lb1) link show dev ens33 | grep -q prog/xdp"
  # Per-CPU flow tables (not for veth, where the program runs on the sender's CPU: only that the
  # option reaches the program, whose tables then live one per possible CPU).
  rc=0
  timeout 10 ip netns exec "$(ns lb1)" "$VIPD" --dataplane=xdp --xdp-flow-tables bogus -n -l -f "$SEEDS/seed001-lvs-dr-master.conf" \
    --state-dir "$LIB_TMP/state-lb1" >"$LIB_TMP/ft.out" 2>&1 || rc=$?
  check "--xdp-flow-tables bogus: exit 2 ($rc), and says what it takes" bash -c "[ $rc -eq 2 ] && grep -q 'shared or per-cpu' '$LIB_TMP/ft.out'"
  start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf" --xdp-flow-tables per-cpu
  check "--xdp-flow-tables per-cpu: lb1 alone becomes MASTER" wait_for_log "$LB_LOG" "Entering MASTER STATE" 10
  check "per-cpu: vipd says so" grep -q 'XDP flow tables: one per CPU' "$LB_LOG"
  possible=$(awk -F- '{print $NF + 1}' /sys/devices/system/cpu/possible)
  check "per-cpu: a flow table for each of the $possible possible CPUs" bash -c \
    "[ \"\$(bpftool map show -j | python3 -c 'import json, sys; print(sum(m.get(\"name\") == \"vipd_cpu_flows\" for m in json.load(sys.stdin)))')\" -ge $possible ]"
  stop_pid "$LB_PID" 10
  check "SIGTERM (per-cpu): exits 0 ($LAST_RC)" [ "$LAST_RC" -eq 0 ]
  # The outer maps let go of the CPUs' tables in the kernel's deferred free, a moment after the exit.
  check "per-cpu: the tables went with the process" wait_until 5 bash -c "! bpftool map show | grep -q vipd_cpu_flows"
fi

if [ "$DP" = dpdk ]; then
echo "# 3a. the guardian killed too (a kill of the whole control group): --restore-interfaces puts them back"
start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf"
check "lb1 alone becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
G=$(grep -oE 'guardian PID [0-9]+' "$L1_LOG" | awk '{print $3}' | head -n 1)
check "lb1 started its guardian (PID ${G:-none})" bash -c "[ -n '$G' ] && [ \"\$(cat /proc/$G/comm 2>/dev/null)\" = vipd ]"
[ -n "$G" ] && kill -KILL "$G" 2>/dev/null
crash_pid "$L1"
check "without its guardian a SIGKILL leaves ens33 without its address (as before the guardian)" bash -c "! ip -n $(ns lb1) -br addr show dev ens33 | grep -qw $SUBNET.10/24"
check "vipd --restore-interfaces exits 0" ip netns exec "$(ns lb1)" "$VIPD" --restore-interfaces -l --state-dir "$LIB_TMP/state-lb1"
check "ens33 has its address and route back and no program attached" restored lb1
check "the state file is gone once restored" bash -c "[ ! -e '$LIB_TMP/state-lb1/ens33.addresses' ]"

echo "# 3b. --pmd af_packet (for drivers without XDP)"
start_lb lb1 "$SEEDS/seed001-lvs-dr-master.conf" --pmd af_packet
check "lb1 takes ens33 through net_af_packet" wait_for_log "$L1_LOG" "ens33: DPDK port [0-9]+ \(net_af_packet\)" 10
check "lb1 alone becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "the client is served through the af_packet node" wait_until 5 serves_via lb1
out=$(get 2 | tr '\n' ' ')
check "curl through the af_packet node ($out)" bash -c "[[ '$out' == 'web1 web2 ' || '$out' == 'web2 web1 ' ]]"
stop_pid "$L1" 10
check "SIGTERM: exits 0 with ens33's address back" bash -c "[ $LAST_RC -eq 0 ] && ip -n $(ns lb1) -br addr show dev ens33 | grep -q '$SUBNET\.10/24'"
fi  # DPDK only: 3a, 3b

# http_rs ADDR / tcp_rs ADDR: a real server on :80 with an HTTP_GET (TCP_CHECK) check every second
http_rs() {
  cat <<EOF
    real_server $1 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
            retry 1
            delay_before_retry 1
        }
    }
EOF
}
tcp_rs() {
  cat <<EOF
    real_server $1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
EOF
}
# The rest runs on a config of this test: checks every second, and a scheduler to choose.
conf() {  # conf FILE PRIORITY ALGO [COMMENT]; $NOTIFY, when set, is the instance's notify_master
  cat >"$1" <<EOF
# ${4:-}
global_defs {
    router_id dpdknode
}
vrrp_instance VI_1 {
    state BACKUP
    interface ens33
    virtual_router_id 52
    priority $2
    advert_int 1
${NOTIFY:+    notify_master \"$NOTIFY\"}
    virtual_ipaddress {
        $VIP/24 dev ens33
    }
}
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo $3
    lb_kind DR
    protocol TCP
$(http_rs "$WEB1")
$(http_rs "$WEB2")
}
EOF
}
# wrk_run SECONDS CONNECTIONS OUT: a bounded wrk run through the VIP in the background (WRK_PID)
wrk_run() {
  start_bg client "$3" wrk -t1 -c"$2" -d"$1"s --timeout 10s "http://$VIP/"
  WRK_PID=$LAST_PID
}
# wrk_under_way NODE SECONDS OUT: wrk_run SECONDS 4 OUT, checked to be forwarding through NODE (lb1,
# lb2; its dataplane past 200 more frames within 5 s)
wrk_under_way() {
  local pid=$L1 fwd0
  [ "$1" = lb2 ] && pid=$L2
  fwd0=$(stat_of "$pid" forward)
  wrk_run "$2" 4 "$3"
  check "wrk is under way through $1 (${DP_OF[$1]:-$DP})" wait_until 5 forwarded_past "$pid" $((fwd0 + 200))
}
# wrk_errors OUT: failed requests (socket errors + non-2xx), from wrk's report
wrk_errors() {
  awk '/Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' "$1"
}
wrk_requests() { awk '/requests in/ {print $1}' "$1"; }
# wrk_done SECONDS OUT: waits at most SECONDS for the background wrk, then n = its requests, e = failed
wrk_done() {
  wait_exit "$1" "$WRK_PID"
  lib_reap "$WRK_PID"
  n=$(wrk_requests "$2")
  e=$(wrk_errors "$2")
}
# wrk_clean: the wrk that wrk_done waited for made over 100 requests and not one failed
wrk_clean() { [ "${n:-0}" -gt 100 ] && [ "$e" -eq 0 ]; }

echo "# 4. health checks under load"
conf "$LIB_TMP/lb1.conf" 150 rr
conf "$LIB_TMP/lb2.conf" 100 rr
# keepalived's lvs_notify_fifo: a line per real server and quorum change, read here as a script would.
sed -i "s|router_id dpdknode|router_id dpdknode\n    lvs_notify_fifo $LIB_TMP/lvs.fifo|" "$LIB_TMP/lb1.conf"
mkfifo "$LIB_TMP/lvs.fifo"
cat "$LIB_TMP/lvs.fifo" >"$LIB_TMP/lvs.lines" &
LIB_PIDS+=("$!")  # the cleanup ends it if vipd never closes the FIFO
start_lb lb1 "$LIB_TMP/lb1.conf"
start_lb lb2 "$LIB_TMP/lb2.conf"
check "lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "lb1's checks see both real servers up" wait_for_log "$L1_LOG" "Remote Web server .* succeed" 10 2
"$LAB" stop-nginx --name "$LAB_NAME" web1 >/dev/null
t0=$(now_us)
check "web1 is removed when its nginx stops" wait_for_log "$L1_LOG" "Removing service \[$WEB1\]:tcp:80 from VS \[$VIP\]:tcp:80" 6
check "lvs_notify_fifo: RS [$WEB1]:tcp:80 [$VIP]:tcp:80 DOWN" wait_for_log "$LIB_TMP/lvs.lines" "^RS \[$WEB1\]:tcp:80 \[$VIP\]:tcp:80 DOWN$" 2
note "removed after $((($(now_us) - t0) / 1000)) ms (delay_loop 1 + connect_timeout 1 x retry 1 + delay_before_retry 1)"
wrk_run 3 4 "$LIB_TMP/wrk-down.out"
out=$(get 4 | tr '\n' ' ')
check "new connections all go to web2 ($out)" bash -c "[ '$out' = 'web2 web2 web2 web2 ' ]"
wrk_done 10 "$LIB_TMP/wrk-down.out"
check "wrk with web1 out: $n requests, $e failed" wrk_clean
"$LAB" start-nginx --name "$LAB_NAME" web1 >/dev/null
check "web1 comes back when nginx starts" wait_for_log "$L1_LOG" "Adding service \[$WEB1\]:tcp:80 to VS \[$VIP\]:tcp:80" 6
check "lvs_notify_fifo: then RS [$WEB1]:tcp:80 [$VIP]:tcp:80 UP, no VRRP line in it" wait_until 2 bash -c \
  "grep -A9 ' DOWN\$' '$LIB_TMP/lvs.lines' | grep -qx 'RS \[$WEB1\]:tcp:80 \[$VIP\]:tcp:80 UP' && ! grep -q '^INSTANCE' '$LIB_TMP/lvs.lines'"
out=$(get 4 | tr '\n' ' ')
check "web1 serves again ($out)" bash -c "[[ '$out' == *web1* ]]"

echo "# 5. SIGHUP with an unrelated change under load"
wrk_under_way lb1 4 "$LIB_TMP/wrk-hup.out"
conf "$LIB_TMP/lb1.conf" 150 rr "reloaded"
kill -HUP "$L1"
check "lb1 reloads" wait_for_log "$L1_LOG" "Reloading" 5
wrk_done 10 "$LIB_TMP/wrk-hup.out"
check "wrk across the reload: $n requests, $e failed" wrk_clean
after=$(log_after "$L1_LOG" Reloading)
check "lb1 stays MASTER across the reload (no state line after 'Reloading')" bash -c "! grep -q 'Entering' <<<'$after'"
check "the VIP stayed on lb1's TAP" has_addr lb1 "$(vipdev ens33)" "$VIP/24"

echo "# 5b. SIGHUP that changes and removes services"
# web2 leaves the service: new connections go to web1 only, and the ones made before stay served.
sed -i "/real_server $WEB2 80 {/,/^    }\$/d" "$LIB_TMP/lb1.conf"
check "the test config lost web2" bash -c "! grep -q '$WEB2' '$LIB_TMP/lb1.conf' && grep -q '$WEB1' '$LIB_TMP/lb1.conf'"
n0=$(grep -c Reloading "$L1_LOG")
kill -HUP "$L1"
check "lb1 reloads the config without web2" wait_for_log "$L1_LOG" "Reloading" 5 $((n0 + 1))
check "new connections go to web1 only" wait_until 5 bash -c "[ \"\$(ip netns exec $(ns client) curl -s -m 1 http://$VIP/)\" = web1 ]"
out=$(get 4 | tr '\n' ' ')
check "after the reload every request goes to web1 ($out)" bash -c "[ '$out' = 'web1 web1 web1 web1 ' ]"
# A config that cannot run is refused and the running one keeps serving.
cp "$LIB_TMP/lb1.conf" "$LIB_TMP/lb1.good"
sed -i 's/^    priority 150$/    priority/' "$LIB_TMP/lb1.conf"
kill -HUP "$L1"
check "a broken config is refused" wait_for_log "$L1_LOG" "Reload refused|Reload failed" 5
out=$(get 2 | tr '\n' ' ')
check "the running config still serves after the refused reload ($out)" bash -c "[ '$out' = 'web1 web1 ' ]"
# The virtual server goes: the VIP's port 80 is no longer balanced (the kernel on the TAP holds the
# VIP and has nothing listening there, so the connection is refused), while the VIP stays up.
awk '/^virtual_server/ {exit} {print}' "$LIB_TMP/lb1.good" >"$LIB_TMP/lb1.conf"
n0=$(grep -c Reloading "$L1_LOG")
kill -HUP "$L1"
check "lb1 reloads the config without a virtual_server" wait_for_log "$L1_LOG" "Reloading" 5 $((n0 + 1))
check "the VIP's port 80 is no longer balanced (connection refused)" wait_until 5 bash -c "! ip netns exec $(ns client) curl -s -m 1 -o /dev/null http://$VIP/"
check_quiet "the VIP still answers ping (the kernel holds it on the TAP)" ip netns exec "$(ns client)" ping -c 1 -W 1 "$VIP"
stop_pid "$L1" 10
stop_pid "$L2" 10

echo "# 6. flows survive failover with mh"
# lb1's notify_master leaves a daemon behind (setsid, its own session): it must keep nothing of
# vipd's alive (no TAP, no program, no DPDK port) when vipd dies.
cat >"$LIB_TMP/daemonize.sh" <<EOF
#!/bin/sh
setsid sleep 60 </dev/null >/dev/null 2>&1 &
echo \$! >"$LIB_TMP/daemon.pid"
EOF
chmod 755 "$LIB_TMP/daemonize.sh"
NOTIFY="$LIB_TMP/daemonize.sh" conf "$LIB_TMP/lb1.conf" 150 mh
conf "$LIB_TMP/lb2.conf" 100 mh
start_lb lb1 "$LIB_TMP/lb1.conf"
start_lb lb2 "$LIB_TMP/lb2.conf"
check "lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "lb2's checks see both real servers up" wait_for_log "$L2_LOG" "Remote Web server .* succeed" 10 2
check "the client is served through lb1" wait_until 5 serves_via lb1
wrk_under_way lb1 10 "$LIB_TMP/wrk-mh.out"
check "the client resolves the VIP to lb1's MAC before the crash" bash -c "[ '$(client_vip_mac)' = '$(mac_of lb1)' ]"
check "lb1's notify_master left a daemon running" wait_until 3 bash -c "[ -s '$LIB_TMP/daemon.pid' ] && kill -0 \$(cat '$LIB_TMP/daemon.pid')"
crash_pid "$L1"
check "lb2 takes over" wait_for_log "$L2_LOG" "Entering MASTER STATE" 10
check "with the notify script's daemon alive, lb1 has no TAP and nothing attached to ens33" bash -c "kill -0 \$(cat '$LIB_TMP/daemon.pid') && ! ip -n $(ns lb1) link show $(vipdev ens33) >/dev/null 2>&1 && { [ '$DP' = dpdk ] || ! ip -n $(ns lb1) link show dev ens33 | grep -q prog/xdp; }"
kill "$(cat "$LIB_TMP/daemon.pid")" 2>/dev/null
wrk_done 15 "$LIB_TMP/wrk-mh.out"
gap=$(awk '$1 == "Latency" {print $4}' "$LIB_TMP/wrk-mh.out")
note "$(grep -E 'requests in|Socket errors|Latency ' "$LIB_TMP/wrk-mh.out" | tr -s ' ' | tr '\n' ';')"
# The longest request is the client-side gap: it proves the run crossed the failover.
check "the run crossed the failover (longest request $gap, at least 1 s)" bash -c "[[ '$gap' == *s && '$gap' != *ms && '$gap' != *us ]]"
check "keep-alive wrk across the SIGKILL failover: $n requests, $e failed" wrk_clean
stop_pid "$L2" 10
check "SIGTERM: lb2 exits 0" [ "$LAST_RC" -eq 0 ]

echo "# 6b. real keepalived 2.2.7 as the $DP node's VRRP peer, tshark judging what leaves the node"
cat >"$LIB_TMP/ka.conf" <<EOF
global_defs {
    router_id ka_lb2
}
vrrp_instance VI_1 {
    state BACKUP
    interface ens33
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        $VIP/24 dev ens33
    }
}
EOF
conf "$LIB_TMP/lb1.conf" 150 rr
start_bg lan "$LIB_TMP/tshark.log" tshark -n -i br0 -w "$LIB_TMP/ka.pcapng" -f 'vrrp or arp'
CAP=$LAST_PID
check "tshark captures the lab bridge" wait_for_log "$LIB_TMP/tshark.log" "Capturing on" 30
start_keepalived lb2 "$LIB_TMP/ka.conf" "$LIB_TMP/ka.log" -P
KA=$LAST_PID
check "keepalived alone becomes MASTER" wait_for_log "$LIB_TMP/ka.log" "\(VI_1\) Entering MASTER STATE" 10
check "keepalived MASTER: the client's ping to the VIP is answered by lb2 (ARP and ICMP by its kernel)" wait_until 5 pings_via lb2
start_lb lb1 "$LIB_TMP/lb1.conf"
check "keepalived accepts the $DP node's higher-priority adverts and steps down" wait_for_log "$LIB_TMP/ka.log" "\(VI_1\) Entering BACKUP STATE" 10
check "lb1 ($DP) becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
T1=$(now_us)
check "the client is served through lb1" wait_until 5 serves_via lb1
check "lb1 ($DP) MASTER: the client's ping to the VIP is answered by lb1 (ARP by the dataplane, ICMP by the kernel's VIP on the TAP)" wait_until 5 pings_via lb1
# SIGTERM: a priority-0 advert leaves the dataplane, and keepalived takes over at once.
n0=$(grep -c "Entering MASTER STATE" "$LIB_TMP/ka.log")
stop_pid "$L1" 10
check "SIGTERM: lb1 exits 0" [ "$LAST_RC" -eq 0 ]
check "keepalived takes over after lb1's priority-0 advert" wait_for_log "$LIB_TMP/ka.log" "\(VI_1\) Entering MASTER STATE" 10 $((n0 + 1))
check "keepalived MASTER again: lb2 answers the client's ping to the VIP" wait_until 5 pings_via lb2
start_lb lb1 "$LIB_TMP/lb1.conf"
check "lb1 ($DP) preempts keepalived" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
T2=$(now_us)
check "the client follows lb1's gratuitous ARP back to lb1" wait_until 5 serves_via lb1
check "keepalived is BACKUP again" wait_for_log "$LIB_TMP/ka.log" "\(VI_1\) Entering BACKUP STATE" 10 2
stop_pid "$L1" 10
stop_pid "$KA" 10
stop_pid "$CAP" 10
check "keepalived logged no bad advert" bash -c "! grep -iE 'invalid|bogus|malformed|checksum' '$LIB_TMP/ka.log'"
# Every advert from lb1's address: VRRPv2, a good checksum (tshark verifies it), TTL 255, to
# 224.0.0.18, VRID 52, priority 150 (0 on SIGTERM), one address (the VIP), advert_int 1; and
# gratuitous ARPs for the VIP from lb1's MAC within 2 s of each of its two takeovers.
LB1_MAC=$(mac_of lb1)
read -r n_adv bad_adv zero_adv garp1 garp2 first_bad < <(tshark -n -r "$LIB_TMP/ka.pcapng" -o ip.check_checksum:TRUE \
  -Y 'vrrp or arp' -T fields -E separator='|' \
  -e frame.time_epoch -e eth.src -e ip.src -e ip.dst -e ip.ttl -e vrrp.version -e vrrp.type -e vrrp.virt_rtr_id \
  -e vrrp.prio -e vrrp.checksum.status -e vrrp.adver_int -e vrrp.addr_count -e vrrp.ip_addr -e arp.src.hw_mac \
  -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e ip.checksum.status -e _ws.malformed 2>/dev/null |
  awk -F'|' -v me="$SUBNET.10" -v vip="$VIP" -v mac="$LB1_MAC" -v t1="$T1" -v t2="$T2" '
    $3 == me && $6 != "" {
      n++; if ($9 == 0) z++
      w = ""
      if ($6 != 2 || $7 != 1 || $8 != 52) w = w " ver/type/vrid=" $6 "/" $7 "/" $8
      if ($10 != 1) w = w " checksum-status=" $10
      if ($17 != "" && $17 != 1) w = w " ip-checksum-status=" $17
      if ($5 != 255) w = w " ttl=" $5
      if ($4 != "224.0.0.18") w = w " dst=" $4
      if ($9 != 150 && $9 != 0) w = w " prio=" $9
      if ($11 != 1) w = w " adver_int=" $11
      if ($12 != 1 || $13 != vip) w = w " addrs=" $12 ":" $13
      if ($18 != "") w = w " malformed"
      if (w != "") { b++; if (fb == "") fb = w }
    }
    tolower($14) == tolower(mac) && tolower($2) == tolower(mac) && $15 == vip && $16 == vip {
      if ($1 >= t1 / 1e6 - 1 && $1 <= t1 / 1e6 + 2) g1++
      if ($1 >= t2 / 1e6 - 1 && $1 <= t2 / 1e6 + 2) g2++
    }
    END { printf "%d %d %d %d %d %s\n", n, b, z, g1, g2, (fb == "" ? "-" : fb) }')
check "wire: all $n_adv adverts from the $DP node are valid VRRPv2 (first bad: ${first_bad:-})" bash -c "[ '${n_adv:-0}' -ge 3 ] && [ '${bad_adv:-1}' -eq 0 ]"
check "wire: the $DP node sent a priority-0 advert on SIGTERM ($zero_adv)" bash -c "[ '${zero_adv:-0}' -ge 1 ]"
check "wire: gratuitous ARPs for the VIP from lb1's MAC after each takeover ($garp1, $garp2)" bash -c "[ '${garp1:-0}' -ge 1 ] && [ '${garp2:-0}' -ge 1 ]"

echo "# 7. NAT with a sync group"
"$LAB" down --name "$LAB_NAME" >/dev/null 2>&1
NAT=10.0.1
lab_up --subnet "$SUBNET" --nat "$NAT"
nat_conf() {  # nat_conf FILE PRIORITY
  cat >"$1" <<EOF
global_defs {
    router_id dpdknat
}
vrrp_sync_group G1 {
    group {
        EXT
        INT
    }
}
vrrp_instance EXT {
    state BACKUP
    interface ens33
    virtual_router_id 61
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP/24 dev ens33
    }
}
vrrp_instance INT {
    state BACKUP
    interface eth1
    virtual_router_id 62
    priority $2
    advert_int 1
    virtual_ipaddress {
        $NAT.1/24 dev eth1
    }
}
virtual_server $VIP 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
$(tcp_rs "$NAT.21")
$(tcp_rs "$NAT.22")
}
EOF
}
nat_conf "$LIB_TMP/nat1.conf" 150
nat_conf "$LIB_TMP/nat2.conf" 100
start_lb lb1 "$LIB_TMP/nat1.conf"
start_lb lb2 "$LIB_TMP/nat2.conf"
check "lb1: both instances of the group MASTER" wait_for_log "$L1_LOG" "\((EXT|INT)\) Entering MASTER STATE" 10 2
check "lb1's checks reach the backends (TCP_CHECK success)" wait_for_log "$L1_LOG" "TCP connection to \[$NAT\.2[12]\]:tcp:80 success" 10 2
check "the gateway VIP $NAT.1 is on lb1's $(vipdev eth1)" has_addr lb1 "$(vipdev eth1)" "$NAT.1/24"
check "the client is served through lb1" wait_until 5 serves_via lb1
out=$(get 4 | tr '\n' ' ')
check "NAT: curl reaches web1 and web2 in turn ($out)" bash -c "[[ '$out' == 'web1 web2 web1 web2 ' || '$out' == 'web2 web1 web2 web1 ' ]]"
check "the backends see the client's address" bash -c "tail -n 1 /run/$LAB_NAME/web1/access.log | grep -q '^$SUBNET\.50 '"
wrk_run 3 4 "$LIB_TMP/wrk-nat.out"
wrk_done 10 "$LIB_TMP/wrk-nat.out"
check "wrk through NAT: $n requests, $e failed" wrk_clean
crash_pid "$L1"
check "SIGKILL lb1: lb2 takes both VIPs" wait_for_log "$L2_LOG" "\((EXT|INT)\) Entering MASTER STATE" 10 2
check "lb1's ens33 and eth1 have their addresses (put back by the guardian on DPDK), nothing attached" wait_until 3 bash -c "ip -n $(ns lb1) -br addr show dev ens33 | grep -qw '$SUBNET.10/24' && ip -n $(ns lb1) -br addr show dev eth1 | grep -qw '$NAT.2/24' && ! ip -n $(ns lb1) link | grep -q prog/xdp"
check "the client is served through lb2" wait_until 5 serves_via lb2
out=$(get 2 | tr '\n' ' ')
check "NAT through lb2 ($out)" bash -c "[[ '$out' != *curl-failed* ]]"
stop_pid "$L2" 10
check "SIGTERM: lb2 exits 0" [ "$LAST_RC" -eq 0 ]
check "lb2: ens33 and eth1 have their addresses back, no TAP is left" bash -c "ip -n $(ns lb2) -br addr show dev ens33 | grep -q '$SUBNET\.11/24' && ip -n $(ns lb2) -br addr show dev eth1 | grep -q '$NAT\.3/24' && ! ip -n $(ns lb2) link | grep -q $TAPP"

echo "# 8. one NAT node, its backend segment on a plain static address with no VRRP instance"
# The backends' gateway $NAT.1 is lb1's own static address on eth1; the config names ens33 only.
# Until now $NAT.1 was a VIP, last held by lb2: nothing announces a static address, so the hosts'
# entries for it (lb2's MAC) are forgotten, as after re-cabling a segment.
ip -n "$(ns lb1)" addr add "$NAT.1/24" dev eth1
for h in web1 web2 client; do ip -n "$(ns $h)" neigh flush all; done
nat_conf "$LIB_TMP/nat1.conf" 150
awk '/^vrrp_sync_group/ {skip = 1} /^vrrp_instance INT/ {skip = 1} skip && /^}/ {skip = 0; next} !skip' "$LIB_TMP/nat1.conf" >"$LIB_TMP/single.conf"
check "the single node's config has no instance on eth1" bash -c "! grep -q 'interface eth1' '$LIB_TMP/single.conf' && grep -q 'virtual_server' '$LIB_TMP/single.conf'"
start_lb lb1 "$LIB_TMP/single.conf"
check "lb1 takes eth1 for the routes to the real servers" wait_for_log "$L1_LOG" "eth1: taken for the route to real server $NAT\.2[12]" 10
check "lb1 alone becomes MASTER" wait_for_log "$L1_LOG" "\(EXT\) Entering MASTER STATE" 10
check "lb1's checks reach both backends" wait_for_log "$L1_LOG" "TCP connection to \[$NAT\.2[12]\]:tcp:80 success" 10 2
check "the client is served through lb1" wait_until 5 serves_via lb1
out=$(get 4 | tr '\n' ' ')
check "NAT with a static backend segment: requests and replies pass ($out)" bash -c "[[ '$out' == *web1* && '$out' == *web2* && '$out' != *curl-failed* ]]"
check "the backends see the client's address" bash -c "tail -n 1 /run/$LAB_NAME/web2/access.log | grep -q '^$SUBNET\.50 '"
stop_pid "$L1" 10
check "SIGTERM: lb1 exits 0 with eth1's static addresses back" bash -c "[ $LAST_RC -eq 0 ] && ip -n $(ns lb1) -br addr show dev eth1 | grep -q '$NAT\.1/24' && ip -n $(ns lb1) -br addr show dev eth1 | grep -q '$NAT\.2/24'"

if [ "$DP" = xdp ] && ! why=$(scripts/capabilities af_xdp); then
  note "9. the mixed pair needs DPDK's AF_XDP on veth, not here: $why"
elif [ "$DP" = xdp ] && "$VIPD" --dataplane=dpdk -f /dev/null -n -l 2>&1 | grep -q "this build has no"; then
  note "9. the mixed pair needs a vipd built with DPDK, and this one has none"
elif [ "$DP" = xdp ]; then
  echo "# 9. a mixed pair: lb1 on DPDK, lb2 on XDP, mh flows across failover both ways"
  "$LAB" down --name "$LAB_NAME" >/dev/null 2>&1
  lab_up --subnet "$SUBNET" --dr --web-hosts 12,13
  ip -n "$(ns_of lb1)" route add "$NODE_ROUTE" via "$SUBNET.50" dev ens33 || lib_die "cannot add lb1's static route"
  conf "$LIB_TMP/lb1.conf" 150 mh
  conf "$LIB_TMP/lb2.conf" 100 mh
  start_lb_on dpdk lb1 "$LIB_TMP/lb1.conf"
  start_lb_on xdp lb2 "$LIB_TMP/lb2.conf"
  check "lb1 (dpdk) becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
  check "lb2 (xdp) is BACKUP" wait_for_log "$L2_LOG" "Entering BACKUP STATE" 10
  check "lb2's checks see both real servers up" wait_for_log "$L2_LOG" "Remote Web server .* succeed" 10 2
  check "the client is served through lb1" wait_until 5 serves_via lb1
  wrk_under_way lb1 10 "$LIB_TMP/wrk-mix1.out"
  crash_pid "$L1"
  check "lb2 (xdp) takes over" wait_for_log "$L2_LOG" "Entering MASTER STATE" 10
  wrk_done 15 "$LIB_TMP/wrk-mix1.out"
  check "dpdk → xdp: keep-alive wrk across the SIGKILL failover: $n requests, $e failed" wrk_clean
  check "the guardian put lb1's address back" wait_until 3 restored lb1
  # Back the other way: lb1 (dpdk) returns and preempts while flows run through lb2 (xdp).
  wrk_under_way lb2 10 "$LIB_TMP/wrk-mix2.out"
  start_lb_on dpdk lb1 "$LIB_TMP/lb1.conf"
  check "lb1 (dpdk) preempts" wait_for_log "$L1_LOG" "Entering MASTER STATE" 15
  wrk_done 15 "$LIB_TMP/wrk-mix2.out"
  check "xdp → dpdk: keep-alive wrk across the preemption: $n requests, $e failed" wrk_clean
  check "the client is served through lb1 again" wait_until 5 serves_via lb1
  stop_pid "$L1" 10
  stop_pid "$L2" 10
fi

echo "# 10. lb_kind TUN: IPIP to backends that decapsulate it in XDP (this kernel has no ipip module)"
if [ -z "${IPIP_DECAP:-}" ] || [ ! -f "${IPIP_DECAP:-}" ]; then
  note "10. skipped: IPIP_DECAP names no decapsulating program (meson builds it with the XDP dataplane)"
else
  "$LAB" down --name "$LAB_NAME" >/dev/null 2>&1
  lab_up --subnet "$SUBNET" --dr --web-hosts 12,13
  for w in web1 web2; do
    ip -n "$(ns "$w")" link set dev eth0 xdpdrv obj "$IPIP_DECAP" sec xdp || lib_die "cannot attach the IPIP decapsulation to $w"
  done
  conf "$LIB_TMP/tun.conf" 150 rr
  sed -i 's/lb_kind DR/lb_kind TUN/' "$LIB_TMP/tun.conf"
  # The lab's bridge counts, in its forward hook, every IPv4-in-IPv4 frame it carries, and those that
  # are lb1's to a real server carrying client → VIP (the inner addresses at the network header's
  # bytes 32 and 36: the outer one has no options). A counter sees every frame; a capture started
  # beside the traffic could miss the few there are.
  hex_ip() { local o; IFS=. read -ra o <<<"$1"; printf '0x%02x%02x%02x%02x' "${o[@]}"; }
  ip netns exec "$(ns lan)" nft -f - <<EOF || lib_die "cannot count IPIP on the lab's bridge"
table bridge node_tun {
    chain crossing {
        type filter hook forward priority 0; policy accept;
        ip protocol 4 ether saddr $(mac_of lb1) ip saddr $SUBNET.10 ip daddr { $WEB1, $WEB2 } @nh,256,32 $(hex_ip "$SUBNET.50") @nh,288,32 $(hex_ip "$VIP") counter
        ip protocol 4 counter
    }
}
EOF
  start_lb lb1 "$LIB_TMP/tun.conf"
  check "lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
  check "lb1's checks see both real servers up" wait_for_log "$L1_LOG" "Remote Web server .* succeed" 10 2
  check "the client is served through lb1" wait_until 5 serves_via lb1
  out=$(get 4 | tr '\n' ' ')
  check "TUN: curl reaches web1 and web2 in turn ($out)" bash -c "[[ '$out' == 'web1 web2 web1 web2 ' || '$out' == 'web2 web1 web2 web1 ' ]]"
  check "the backends see the client's address (the inner source)" bash -c "tail -n 1 /run/$LAB_NAME/web1/access.log | grep -q '^$SUBNET\.50 '"
  stop_pid "$L1" 10
  read -r n_good n_ipip < <(ip netns exec "$(ns lan)" nft list chain bridge node_tun crossing |
    awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") printf "%s ", $(i + 1)} END {print ""}')
  ip netns exec "$(ns lan)" nft delete table bridge node_tun
  check "wire: the requests crossed the bridge in IPIP, lb1 → a real server carrying client → VIP ($n_good of $n_ipip IPIP frames)" \
    bash -c "[ '${n_good:-0}' -ge 4 ] && [ '${n_good:-0}' -eq '${n_ipip:-0}' ]"
  decapped=$(for w in web1 web2; do
    id=$(ip -n "$(ns "$w")" -d link show dev eth0 | awk '/prog\/xdp/ {for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1)}' | head -1)
    bpftool prog show id "$id" -j 2>/dev/null | python3 -c 'import json, sys; print(" ".join(str(m) for m in json.load(sys.stdin).get("map_ids", [])))' |
      while read -r m; do bpftool map lookup id "$m" key 0 0 0 0 -j 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"])'; done
  done | awk '{n += $1} END {print n + 0}')
  check "the backends decapsulated them ($decapped frames)" [ "$decapped" -ge 8 ]
fi

echo "# 11. a real server back with another MAC and no gratuitous ARP: the node asks again"
"$LAB" down --name "$LAB_NAME" >/dev/null 2>&1
lab_up --subnet "$SUBNET" --dr --web-hosts 12,13
conf "$LIB_TMP/remac.conf" 150 rr
start_lb lb1 "$LIB_TMP/remac.conf" --arp-reachable-ms 2000
check "lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "the client is served through lb1" wait_until 5 serves_via lb1
out=$(get 2 | tr '\n' ' ')
check "both real servers answer ($out)" bash -c "[[ '$out' == *web1* && '$out' == *web2* ]]"
# web1's NIC is replaced (a new MAC; arp_notify is off, as by default, so it announces nothing). What
# lb1 knows of it now leads nowhere; the kernel's own neighbour timers would notice in 15 to 45 s
# (with --arp-reachable-ms 0 this check fails: web1 is not served within the 10 s).
ip -n "$(ns web1)" link set dev eth0 address 02:00:00:00:77:01
t0=$(now_us)
web1_back() {
  local o
  o=$(get 2 | tr '\n' ' ')
  [[ $o == *web1* && $o != *curl-failed* ]]
}
check "lb1 probes web1 and serves it at its new MAC within 10 s (--arp-reachable-ms 2000)" wait_until 10 web1_back
note "web1 served again after $((($(now_us) - t0) / 1000)) ms"
probes=$(stat_of "$L1" arp_probes)
check "lb1 counted its probes (arp_probes=$probes)" bash -c "[ '${probes:-0}' -ge 1 ]"
stop_pid "$L1" 10

echo "# 12. --new-flow-rate: new flows past the bound are shed (new_flow_rate), and TCP's retries get in"
# 10 new flows a second, 8 at once: 30 connections opened together from the client are more than the
# bucket holds (8, and 10 a second while they are opened: at least 12 are shed if that takes under a
# second); their retransmissions a second later (and again two and four seconds after) find tokens,
# so every request is answered in the end. The flows made are not held to it.
start_lb lb1 "$LIB_TMP/remac.conf" --new-flow-rate 10
check "--new-flow-rate 10: lb1 becomes MASTER" wait_for_log "$L1_LOG" "Entering MASTER STATE" 10
check "--new-flow-rate: vipd says so" grep -q 'new flows: at most 10 a second' "$L1_LOG"
check "the client is served through lb1" wait_until 5 serves_via lb1
ip netns exec "$(ns client)" bash -c "for i in \$(seq 30); do curl -s -m 14 -o /dev/null -w '%{http_code}\n' http://$VIP/ & done; wait" \
  >"$LIB_TMP/rate.out" 2>&1
answered=$(grep -c '^200$' "$LIB_TMP/rate.out" || true)
check "all 30 connections opened together are answered in the end ($answered)" [ "${answered:-0}" -eq 30 ]
shed=$(vipd_stats "$L1" 3 | awk '$1 == "drop" && $2 == "new_flow_rate" {print $3}' | head -1)
check "lb1 shed some of their SYNs as new_flow_rate (${shed:-0})" bash -c "[ '${shed:-0}' -ge 1 ]"
stop_pid "$L1" 10

lib_summary
