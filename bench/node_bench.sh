#!/usr/bin/env bash
# The DPDK node end to end over the lab's veths (scripts/lab --nat: client and LB on one segment, the
# backends on a second one behind the LB), one LB (lb1), each case measured in every round so the
# ratios are side by side:
#   ceiling     dpdk-testpmd --forward-mode=mac on lb1's two ports (net_af_xdp, ens33 → eth1, the
#               destination MAC set to web1's): the most this path can carry. (io mode would send the
#               frame back with web1 unknown to the bridge's port: mac mode is io plus that rewrite.)
#   vipd_dr     vipd --dataplane=dpdk, UDP :9 virtual server, lb_kind DR (VIP 192.168.235.100)
#   vipd_nat    the same, lb_kind NAT
#   kernel_dnat lb1's kernel forwarding with an nftables DNAT rule (the stand-in for IPVS, absent here)
# Traffic: dpdk-testpmd --forward-mode=txonly in the client namespace (net_af_xdp on its eth0), 64-byte
# UDP to VIP:9, the generator on CPU 0 and the forwarder on CPU 1; the sink is an nftables counter (and
# drop) for UDP :9 in web1's and web2's namespaces. Rate = counted packets / SECONDS after a 2 s warm-up.
# Then new TCP connections per second through the VIP: wrk -H 'Connection: close' against nginx,
# vipd NAT beside the kernel's DNAT.
# Usage: bench/node_bench.sh [SECONDS]   (env: R rounds, default 3; VIPD, default build/vipd)
# Prints one JSON line per measurement and a summary with medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
R=${R:-3}
VIPD=${VIPD:-build/vipd}
LAB=scripts/lab
NAME=nodebench
SUBNET=192.168.235
NAT=10.0.1
VIP=$SUBNET.100
for c in dpdk-testpmd wrk nft ethtool python3; do
  command -v "$c" >/dev/null || { echo "node_bench: $c missing (run scripts/setup)" >&2; exit 1; }
done
[ -x "$VIPD" ] || { echo "node_bench: $VIPD not built (ninja -C build)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "node_bench: needs root (network namespaces)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/node_bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$LAB" down --name "$NAME" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ns() { echo "$NAME-$1"; }
mac_of() { ip -n "$(ns "$1")" -br link show dev "$2" | awk '{print $3}'; }

"$LAB" up --name "$NAME" --subnet "$SUBNET" --nat "$NAT" >/dev/null
for w in web1 web2; do
  ip netns exec "$(ns "$w")" nft -f - <<'EOF'
table ip sink {
    chain pre {
        type filter hook prerouting priority -300; policy accept;
        udp dport 9 counter drop
    }
}
EOF
done
sink_count() {
  local w n total=0
  for w in web1 web2; do
    n=$(ip netns exec "$(ns "$w")" nft list table ip sink | awk '/counter packets/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}')
    total=$((total + ${n:-0}))
  done
  echo "$total"
}
LB_MAC=$(mac_of lb1 ens33)
WEB1_MAC=$(mac_of web1 eth0)

# gen: the txonly generator, SECONDS + 4 long, in the background (GEN_PID, output in $tmp/gen.out)
gen() {
  timeout -s INT "$((secs + 4))" ip netns exec "$(ns client)" dpdk-testpmd --no-huge --no-pci --no-shconf -m 512 \
    --lcores 0@1,1@0 --log-level=3 --no-telemetry --file-prefix="nb_gen_$$" --vdev net_af_xdp0,iface=eth0 -- \
    --forward-mode=txonly --nb-cores=1 --txq=1 --rxq=1 --burst=32 --no-lsc-interrupt --stats-period=1 \
    --total-num-mbufs=8192 --txpkts=64 --tx-ip="$SUBNET.50,$VIP" --tx-udp=1024,9 --eth-peer="0,$LB_MAC" \
    >"$tmp/gen.out" 2>&1 </dev/null &
  GEN_PID=$!
}
# measure CASE: runs the generator, counts what reaches the sinks; prints the JSON line
measure() {
  local c1 c2 offered
  gen
  sleep 2
  c1=$(sink_count)
  sleep "$secs"
  c2=$(sink_count)
  wait "$GEN_PID" 2>/dev/null || true
  offered=$(python3 - "$tmp/gen.out" <<'PY'
import re, statistics, sys
t = open(sys.argv[1]).read()
v = [int(x) for x in re.findall(r"Tx-pps:\s*(\d+)", t) if int(x) > 0]
print(f"{statistics.median(v) / 1e6:.3f}" if v else "null")
PY
)
  echo "{\"bench\": \"node\", \"case\": \"$1\", \"round\": $round, \"mpps\": $(python3 -c "print(f'{($c2 - $c1) / $secs / 1e6:.3f}')"), \"offered_mpps\": $offered}" | tee -a "$tmp/results.jsonl"
}

conf() {  # conf FILE KIND PROTO PORT
  cat >"$1" <<EOF
global_defs {
    router_id nodebench
}
vrrp_sync_group G1 {
    group {
        EXT
        INT
    }
}
vrrp_instance EXT {
    state MASTER
    interface ens33
    virtual_router_id 71
    priority 150
    advert_int 1
    virtual_ipaddress {
        $VIP/24 dev ens33
    }
}
vrrp_instance INT {
    state MASTER
    interface eth1
    virtual_router_id 72
    priority 150
    advert_int 1
    virtual_ipaddress {
        $NAT.1/24 dev eth1
    }
}
virtual_server $VIP $4 {
    lb_algo rr
    lb_kind $2
    protocol $3
    real_server $NAT.21 $4 {
        weight 1
    }
    real_server $NAT.22 $4 {
        weight 1
    }
}
EOF
}
start_vipd() {  # start_vipd KIND PROTO PORT
  conf "$tmp/vipd.conf" "$1" "$2" "$3"
  rm -rf "$tmp/state"
  ip netns exec "$(ns lb1)" "$VIPD" --dataplane=dpdk -n -l -f "$tmp/vipd.conf" -p "$tmp/vipd.pid" --state-dir "$tmp/state" \
    --idle-sleep-us 0 --hugepages no >"$tmp/vipd.log" 2>&1 &
  VIPD_PID=$!
  pids+=("$VIPD_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(grep -c 'Entering MASTER STATE' "$tmp/vipd.log")" -ge 2 ] && return 0
    sleep 0.1
  done
  cat "$tmp/vipd.log" >&2
  echo "node_bench: vipd did not become MASTER" >&2
  exit 1
}
stop_vipd() {
  kill -TERM "$VIPD_PID"
  wait "$VIPD_PID" || true
}
kernel_dnat_on() {  # kernel_dnat_on PROTO PORT
  local n
  n=$(ns lb1)
  ip -n "$n" addr add "$VIP/24" dev ens33
  ip -n "$n" addr add "$NAT.1/24" dev eth1
  ip netns exec "$n" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0
  ip netns exec "$n" nft -f - <<EOF
table ip nodebench {
    chain pre {
        type nat hook prerouting priority -100; policy accept;
        ip daddr $VIP $1 dport $2 dnat to numgen inc mod 2 map { 0 : $NAT.21, 1 : $NAT.22 }
    }
}
EOF
}
kernel_dnat_off() {
  local n
  n=$(ns lb1)
  ip netns exec "$n" nft delete table ip nodebench
  ip netns exec "$n" sysctl -q -w net.ipv4.ip_forward=0
  ip -n "$n" addr del "$VIP/24" dev ens33
  ip -n "$n" addr del "$NAT.1/24" dev eth1
}
# conns CASE: new TCP connections per second through the VIP (wrk, Connection: close)
conns() {
  ip netns exec "$(ns client)" wrk -t1 -c16 -d"${secs}s" -H 'Connection: close' "http://$VIP/" >"$tmp/wrk.out" 2>&1 || true
  local rps errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
  errors=$(awk '/Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' "$tmp/wrk.out")
  echo "{\"bench\": \"node_conns\", \"case\": \"$1\", \"round\": $round, \"conns_per_s\": ${rps:-0}, \"errors\": $errors}" | tee -a "$tmp/results.jsonl"
}

for ((round = 1; round <= R; round++)); do
  # The ceiling: testpmd forwarding ens33 → eth1 on lb1, destination MAC web1's.
  timeout -s INT "$((secs + 6))" ip netns exec "$(ns lb1)" dpdk-testpmd --no-huge --no-pci --no-shconf -m 512 \
    --lcores 0@0,1@1 --log-level=3 --no-telemetry --file-prefix="nb_fwd_$$" \
    --vdev net_af_xdp0,iface=ens33 --vdev net_af_xdp1,iface=eth1 -- --forward-mode=mac --nb-cores=1 \
    --burst=32 --no-lsc-interrupt --stats-period=1 --total-num-mbufs=16384 --eth-peer="1,$WEB1_MAC" >"$tmp/fwd.out" 2>&1 </dev/null &
  fwd=$!
  pids+=("$fwd")
  sleep 2
  measure ceiling
  kill -INT "$fwd" 2>/dev/null || true
  wait "$fwd" 2>/dev/null || true

  start_vipd DR UDP 9
  measure vipd_dr
  stop_vipd
  start_vipd NAT UDP 9
  measure vipd_nat
  stop_vipd

  kernel_dnat_on udp 9
  measure kernel_dnat
  kernel_dnat_off

  start_vipd NAT TCP 80
  conns vipd_nat
  stop_vipd
  kernel_dnat_on tcp 80
  conns kernel_dnat
  kernel_dnat_off
done

python3 - "$tmp/results.jsonl" "$secs" "$R" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(bench, case, key):
    v = [r[key] for r in rows if r["bench"] == bench and r["case"] == case and r[key] is not None]
    return statistics.median(v) if v else None
ceiling = med("node", "ceiling", "mpps")
print(f"\nnode_bench: medians of {sys.argv[3]} rounds, {sys.argv[2]} s each (64-byte UDP, txonly generator on CPU 0, forwarder on CPU 1)")
for case in ("ceiling", "vipd_dr", "vipd_nat", "kernel_dnat"):
    m = med("node", case, "mpps")
    offered = med("node", case, "offered_mpps")
    ratio = f"{m / ceiling:.2f} of the ceiling" if m and ceiling else ""
    print(f"  {case:12s} {m:.3f} Mpps delivered (offered {offered})  {ratio}")
kd = med("node", "kernel_dnat", "mpps")
for case in ("vipd_dr", "vipd_nat"):
    m = med("node", case, "mpps")
    if m and kd:
        print(f"  {case} / kernel_dnat = {m / kd:.2f}")
vc = med("node_conns", "vipd_nat", "conns_per_s")
kc = med("node_conns", "kernel_dnat", "conns_per_s")
print(f"  new TCP connections/s through the VIP (wrk, Connection: close, nginx): vipd NAT {vc:.0f}, kernel DNAT {kc:.0f}, ratio {vc / kc:.2f}")
PY
