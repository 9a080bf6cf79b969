#!/usr/bin/env bash
# Both nodes end to end over veths, one LB (lb1), each case measured in every round so the ratios are
# side by side. Packet rates run on a chain of direct veth pairs, client:eth0 = lb1:ens33 and
# lb1:eth1 = web1:eth0 (namespaces nbx-*; no bridge: the lab's bridge ran in the generator's softirq
# and held every case, the bare generator included, to about 0.5 Mpps on these machines):
#   generator     the generator straight into a sink on lb1's ens33: the most any case can be offered
#   dpdk_ceiling  dpdk-testpmd --forward-mode=mac on lb1's two ports (net_af_xdp, ens33 → eth1, the
#                 destination MAC set to web1's): the most DPDK can carry on this path. (io mode would
#                 send the frame back with web1 unknown: mac is io plus that rewrite.)
#   vipd_dpdk_dr  vipd --dataplane=dpdk, UDP :9 virtual server, lb_kind DR (VIP 192.168.235.100)
#   vipd_dpdk_nat the same, lb_kind NAT
#   xdp_ceiling   a bare XDP forwarder on lb1's ens33 (bench/xdp_fwd.bpf.c: MAC rewrite, redirect to
#                 eth1): the most XDP can carry on this path
#   vipd_xdp_dr   vipd --dataplane=xdp, the same DR service
#   vipd_xdp_nat  the same, lb_kind NAT
#   kernel_dnat   lb1's kernel forwarding with an nftables DNAT rule (the stand-in for IPVS, absent here)
# Traffic: build/bench/xdp_gen in the client namespace on CPU 0, 64-byte UDP to VIP:9 as BPF_PROG_RUN
# live frames sent by XDP_TX (no skb, no socket; GEN=testpmd uses dpdk-testpmd txonly over net_af_xdp
# instead, as this bench did before); the forwarder on CPU 1; the sink is bench/xdp_sink.bpf.c on
# web1's eth0, counted by the veth (rx_queue_0_xdp_drops). Rate = sink count / SECONDS after a 2 s
# warm-up; offered = the generator's median per-second rate. Each line also has CPU 1's busy share over
# the window and its busy ns per delivered frame (/proc/stat), and where the rest was refused
# (refused_mpps: lb_rx, the generator's frames that lb1's full receive ring refused; lb_tx, lb1's
# redirects that web1's refused; the veths' xdp_xmit_errors): on a veth the forwarder's NAPI sleeps
# whenever the 256-frame ring is empty and is woken by the sender, and what the ring cannot take in the
# meantime is lost (the sender's xdp_xmit_errors), so a rate can be bound by that hand-off with CPU 1
# partly idle; the ns a frame is the forwarder's own cost either way. (A DPDK lcore spins: CPU 1 is
# always busy and its ns a frame is the spin's, not the work's.)
# On a veth, XDP and the kernel's forwarding run in the receiving interface's NAPI, which by default is
# a softirq on the sender's CPU (the generator's): for the XDP and kernel cases lb1's ens33 gets
# threaded NAPI (/sys/class/net/ens33/threaded = 1, once the veth has a NAPI: the XDP attach makes
# one, and GRO on for kernel_dnat) and the napi/ens33-* kernel thread is pinned to CPU 1 (taskset),
# the forwarder's CPU as for DPDK. The DPDK cases run with it off (the lcore busy-polls CPU 1).
# Then new TCP connections per second through the VIP on the lab (scripts/lab --nat: nginx on web1 and
# web2 behind lb1): wrk -H 'Connection: close', vipd NAT on both dataplanes beside the kernel's DNAT.
# The last line is one JSON summary ({"bench": "node_summary", ...}) of the medians.
# Usage: bench/node_bench.sh [SECONDS]   (env: R rounds, default 3; VIPD, default build/vipd; GEN;
#   PHASES=rates,conns, the default, or one of them; CASES=a,b,… only these packet-rate cases;
#   VIPD_B=another vipd binary, each vipd case measured again with it right after, as CASE_b: an
#   A/B of two builds in one run; PERF_DIR=DIR: a `perf record -a -g` of each measured window into
#   DIR/CASE.rROUND.data, both CPUs, for perf report --sort cpu,comm,sym; AWAKE=1: CPU 1 kept out
#   of halt by a spinner, below)
# Prints one JSON line per measurement and a summary with medians and ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
R=${R:-3}
VIPD=${VIPD:-build/vipd}
XDP_GEN=${XDP_GEN:-build/bench/xdp_gen}
GEN=${GEN:-xdp}
PHASES=${PHASES:-rates,conns}  # rates (the chain), conns (the lab), or both
PHASE_RATES=$([[ ,$PHASES, == *,rates,* ]] && echo 1 || true)
PHASE_CONNS=$([[ ,$PHASES, == *,conns,* ]] && echo 1 || true)
CASES=${CASES:-}
VIPD_B=${VIPD_B:-}
case_on() { [[ -z $CASES || ,$CASES, == *,$1,* ]]; }
LAB=scripts/lab
LABNAME=nodebench  # the lab of the connection rounds
CHAIN=nbx          # the veth chain of the packet rates
SUBNET=192.168.235
NAT=10.0.1
VIP=$SUBNET.100
for c in dpdk-testpmd wrk nft ethtool python3 clang taskset; do
  command -v "$c" >/dev/null || { echo "node_bench: $c missing (run scripts/setup)" >&2; exit 1; }
done
[ -x "$VIPD" ] || { echo "node_bench: $VIPD not built (ninja -C build)" >&2; exit 1; }
case $GEN in
  xdp) [ -x "$XDP_GEN" ] || { echo "node_bench: $XDP_GEN not built (ninja -C build; needs -Dbpf)" >&2; exit 1; } ;;
  testpmd) ;;
  *) echo "node_bench: GEN is xdp or testpmd, not '$GEN'" >&2; exit 1 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "node_bench: needs root (network namespaces)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/node_bench.XXXXXX)
pids=()
chain_down() {
  local n
  for n in client lb1 web1; do ip netns del "$CHAIN-$n" 2>/dev/null || true; done
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  chain_down
  "$LAB" down --name "$LABNAME" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

NAME=$CHAIN  # ns() names the namespaces of the current phase: the chain, then the lab
ns() { echo "$NAME-$1"; }
mac_of() { ip -n "$(ns "$1")" -br link show dev "$2" | awk '{print $3}'; }

# The chain: client eth0 = lb1 ens33 (192.168.235.0/24), lb1 eth1 = web1 eth0 (10.0.1.0/24; web1's
# default route is the NAT gateway 10.0.1.1, which VRRP or kernel_dnat_on puts on lb1).
chain_down  # a chain left by a run that was killed
for n in client lb1 web1; do
  ip netns add "$CHAIN-$n"
  ip -n "$CHAIN-$n" link set lo up
done
ip link add eth0 netns "$CHAIN-client" type veth peer name ens33 netns "$CHAIN-lb1"
ip link add eth1 netns "$CHAIN-lb1" type veth peer name eth0 netns "$CHAIN-web1"
ip -n "$CHAIN-client" addr add "$SUBNET.50/24" dev eth0
ip -n "$CHAIN-lb1" addr add "$SUBNET.10/24" dev ens33
ip -n "$CHAIN-lb1" addr add "$NAT.10/24" dev eth1
ip -n "$CHAIN-web1" addr add "$NAT.21/24" dev eth0
for l in client:eth0 lb1:ens33 lb1:eth1 web1:eth0; do
  ip -n "$CHAIN-${l%%:*}" link set dev "${l#*:}" up
  # a sender computes its own checksums (the receiver of a veth frame trusts them otherwise)
  ip netns exec "$CHAIN-${l%%:*}" ethtool -K "${l#*:}" tx off >/dev/null
done
ip -n "$CHAIN-web1" route add default via "$NAT.1"

# The bench's own XDP programs: the sink, and the bare forwarder built for the chain (web1's MAC,
# lb1's eth1: its MAC and ifindex).
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
bpf_cc() { clang -target bpf -O2 -Wall ${multiarch:+-I/usr/include/$multiarch} "$@"; }
c_mac() { echo "{0x${1//:/,0x}}"; }
LB_MAC=$(mac_of lb1 ens33)
WEB1_MAC=$(mac_of web1 eth0)
bpf_cc -c bench/xdp_sink.bpf.c -o "$tmp/xdp_sink.o"
bpf_cc -DFWD_DST_MAC="$(c_mac "$WEB1_MAC")" -DFWD_SRC_MAC="$(c_mac "$(mac_of lb1 eth1)")" \
  -DFWD_IFINDEX="$(ip -n "$(ns lb1)" -o link show dev eth1 | cut -d: -f1)" -c bench/xdp_fwd.bpf.c -o "$tmp/xdp_fwd.o"
ip -n "$CHAIN-web1" link set dev eth0 xdpdrv obj "$tmp/xdp_sink.o" sec xdp
# sink_count [NS IF]: UDP :9 frames the sink has dropped (web1's eth0 unless named)
sink_count() {
  ip netns exec "$(ns "${1:-web1}")" ethtool -S "${2:-eth0}" | awk '/rx_queue_[0-9]+_xdp_drops/ {n += $2} END {print n + 0}'
}

# The kernel takes /sys/class/net/IF/threaded only while IF has a NAPI (EIO otherwise), and keeps the
# setting for the NAPIs made later.
# pin_napi: lb1's ens33 NAPI (made by an XDP attach or GRO on) becomes a kernel thread on CPU 1. Only
# lb1's ens33 has a NAPI of that name (the chain's other ens33-less ends, the lab's veths elsewhere).
pin_napi() {
  local p i n=0
  # Already 1 (kept from an earlier NAPI), the write may fail (EIO): what counts is the value.
  ip netns exec "$(ns lb1)" sh -c "echo 1 > /sys/class/net/ens33/threaded" 2>/dev/null ||
    [ "$(ip netns exec "$(ns lb1)" cat /sys/class/net/ens33/threaded)" = 1 ] ||
    { echo "node_bench: lb1's ens33 refuses threaded NAPI" >&2; exit 1; }
  # The kernel starts the thread for a new NAPI on its own time: give it 2 s to appear.
  for ((i = 0; i < 20 && n == 0; i++)); do
    for p in $(pgrep '^napi/ens33-'); do taskset -pc 1 "$p" >/dev/null && n=$((n + 1)); done
    [ "$n" -gt 0 ] || sleep 0.1
  done
  [ "$n" -gt 0 ] || { echo "node_bench: no napi/ens33-* thread to pin" >&2; exit 1; }
}
# unthread_napi: back to the softirq on the sender's CPU, for the DPDK cases (a NAPI made for the write)
unthread_napi() {
  ip netns exec "$(ns lb1)" ethtool -K ens33 gro on >/dev/null
  ip netns exec "$(ns lb1)" sh -c "echo 0 > /sys/class/net/ens33/threaded" 2>/dev/null ||
    [ "$(ip netns exec "$(ns lb1)" cat /sys/class/net/ens33/threaded)" = 0 ] ||
    { echo "node_bench: lb1's ens33 keeps threaded NAPI" >&2; exit 1; }
  ip netns exec "$(ns lb1)" ethtool -K ens33 gro off >/dev/null
}

# gen: the generator, SECONDS + 4 long, in the background on CPU 0 (GEN_PID, output in $tmp/gen.out)
gen() {
  if [ "$GEN" = xdp ]; then
    ip netns exec "$(ns client)" taskset -c 0 "$XDP_GEN" --iface eth0 --dst-mac "$LB_MAC" --src "$SUBNET.50" \
      --dst "$VIP" --sport 1024 --dport 9 --size 64 --seconds "$((secs + 4))" >"$tmp/gen.out" 2>&1 </dev/null &
  else
    timeout -s INT "$((secs + 4))" ip netns exec "$(ns client)" dpdk-testpmd --no-huge --no-pci --no-shconf -m 512 \
      --lcores 0@1,1@0 --log-level=3 --no-telemetry --file-prefix="nb_gen_$$" --vdev net_af_xdp0,iface=eth0 -- \
      --forward-mode=txonly --nb-cores=1 --txq=1 --rxq=1 --burst=32 --no-lsc-interrupt --stats-period=1 \
      --total-num-mbufs=8192 --txpkts=64 --tx-ip="$SUBNET.50,$VIP" --tx-udp=1024,9 --eth-peer="0,$LB_MAC" \
      >"$tmp/gen.out" 2>&1 </dev/null &
  fi
  GEN_PID=$!
}
# refused: the frames each veth refused so far, as "LB_RX LB_TX": the generator's XDP_TX into lb1's
# ens33 ring (client eth0's tx_queue_*_xdp_xmit_errors: the ring was full) and lb1's redirects into
# web1's ring (lb1 eth1's). Where a case loses what it does not deliver.
refused() {
  local a b
  a=$(ip netns exec "$(ns client)" ethtool -S eth0 | awk '/tx_queue_[0-9]+_xdp_xmit_errors/ {n += $2} END {print n + 0}')
  b=$(ip netns exec "$(ns lb1)" ethtool -S eth1 | awk '/tx_queue_[0-9]+_xdp_xmit_errors/ {n += $2} END {print n + 0}')
  echo "$a $b"
}
# cpu1_busy: CPU 1's busy time so far in USER_HZ ticks (/proc/stat: all but idle and iowait)
cpu1_busy() { awk '$1 == "cpu1" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
# measure CASE [NS IF]: runs the generator, counts what reaches the sink and CPU 1's busy time over
# the same window; prints the JSON line (ns_cpu1_per_frame: CPU 1's busy ns per delivered frame)
measure() {
  local c1 c2 b1 b2 r1 r2 offered
  gen
  sleep 2
  c1=$(sink_count "${2:-}" "${3:-}")
  b1=$(cpu1_busy)
  read -ra r1 < <(refused)
  if [ -n "${PERF_DIR:-}" ]; then
    perf record -q -a -g -o "$PERF_DIR/$1.r$round.data" -- sleep "$secs" >/dev/null 2>&1
  else
    sleep "$secs"
  fi
  c2=$(sink_count "${2:-}" "${3:-}")
  b2=$(cpu1_busy)
  read -ra r2 < <(refused)
  wait "$GEN_PID" 2>/dev/null || true
  offered=$(python3 - "$tmp/gen.out" <<'PY'
import re, statistics, sys
t = open(sys.argv[1]).read()
v = [int(float(x)) for x in re.findall(r"(?:Tx-pps:|tx_pps)\s*([\d.]+)", t) if float(x) > 0]
print(f"{statistics.median(v) / 1e6:.3f}" if v else "null")
PY
)
  echo "{\"bench\": \"node\", \"case\": \"$1\", \"round\": $round, \"mpps\": $(python3 -c "print(f'{($c2 - $c1) / $secs / 1e6:.3f}')"), \"offered_mpps\": $offered, \"cpu1_busy\": $(python3 -c "print(f'{($b2 - $b1) / $(getconf CLK_TCK) / $secs:.3f}')"), \"ns_cpu1_per_frame\": $(python3 -c "d = $c2 - $c1; print(f'{($b2 - $b1) / $(getconf CLK_TCK) * 1e9 / d:.0f}' if d else 'null')"), \"refused_mpps\": {\"lb_rx\": $(python3 -c "print(f'{(${r2[0]} - ${r1[0]}) / $secs / 1e6:.3f}')"), \"lb_tx\": $(python3 -c "print(f'{(${r2[1]} - ${r1[1]}) / $secs / 1e6:.3f}')")}}" | tee -a "$tmp/results.jsonl"
}

conf() {  # conf FILE KIND PROTO PORT REAL_SERVER...
  local f=$1 kind=$2 proto=$3 port=$4 rs
  shift 4
  cat >"$f" <<EOF
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
virtual_server $VIP $port {
    lb_algo rr
    lb_kind $kind
    protocol $proto
EOF
  for rs in "$@"; do
    printf '    real_server %s %s {\n        weight 1\n    }\n' "$rs" "$port" >>"$f"
  done
  echo "}" >>"$f"
}
REAL_SERVERS=("$NAT.21")  # the chain's one backend; the lab's two for the connection rounds
start_vipd() {  # start_vipd DATAPLANE KIND PROTO PORT
  local dp=$1 args=()
  shift
  conf "$tmp/vipd.conf" "$1" "$2" "$3" "${REAL_SERVERS[@]}"
  rm -rf "$tmp/state"
  [ "$dp" = dpdk ] && args=(--idle-sleep-us 0 --hugepages no)
  ip netns exec "$(ns lb1)" "${VIPD_RUN:-$VIPD}" --dataplane="$dp" -n -l -f "$tmp/vipd.conf" -p "$tmp/vipd.pid" --state-dir "$tmp/state" \
    "${args[@]}" >"$tmp/vipd.log" 2>&1 &
  VIPD_PID=$!
  pids+=("$VIPD_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    if [ "$(grep -c 'Entering MASTER STATE' "$tmp/vipd.log")" -ge 2 ]; then
      [ "$dp" = xdp ] && [ "$NAME" = "$CHAIN" ] && pin_napi
      return 0
    fi
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
vipd_rate() {  # vipd_rate CASE DATAPLANE KIND PROTO PORT: the case with VIPD, then with VIPD_B as CASE_b
  local c=$1
  shift
  case_on "$c" || return 0
  start_vipd "$@"
  measure "$c"
  stop_vipd
  if [ -n "$VIPD_B" ]; then
    VIPD_RUN=$VIPD_B start_vipd "$@"
    measure "${c}_b"
    stop_vipd
  fi
}
kernel_dnat_on() {  # kernel_dnat_on PROTO PORT
  local n map="" i=0 rs
  n=$(ns lb1)
  ip -n "$n" addr add "$VIP/24" dev ens33
  ip -n "$n" addr add "$NAT.1/24" dev eth1
  ip netns exec "$n" sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0
  if [ "$NAME" = "$CHAIN" ]; then
    # the generator's XDP frames need a NAPI on ens33 to land in (GRO on makes one)
    ip netns exec "$n" ethtool -K ens33 gro on >/dev/null
    pin_napi
  fi
  for rs in "${REAL_SERVERS[@]}"; do map+="${map:+, }$i : $rs"; i=$((i + 1)); done
  ip netns exec "$n" nft -f - <<EOF
table ip nodebench {
    chain pre {
        type nat hook prerouting priority -100; policy accept;
        ip daddr $VIP $1 dport $2 dnat to numgen inc mod $i map { $map }
    }
}
EOF
}
kernel_dnat_off() {
  local n
  n=$(ns lb1)
  ip netns exec "$n" nft delete table ip nodebench
  ip netns exec "$n" sysctl -q -w net.ipv4.ip_forward=0
  [ "$NAME" = "$CHAIN" ] && ip netns exec "$n" ethtool -K ens33 gro off >/dev/null
  ip -n "$n" addr del "$VIP/24" dev ens33
  ip -n "$n" addr del "$NAT.1/24" dev eth1
}
# conns CASE: new TCP connections per second through the VIP (wrk, Connection: close)
conns() {
  ip netns exec "$(ns client)" wrk -t1 -c16 -d"${secs}s" -H 'Connection: close' "http://$VIP/" >"$tmp/wrk.out" 2>&1 || true
  local rps errors
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
  if [ -z "$rps" ]; then
    echo "node_bench: wrk gave no rate for $1 (round $round):" >&2
    cat "$tmp/wrk.out" >&2
  fi
  errors=$(awk '/Socket errors/ {gsub(",", ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' "$tmp/wrk.out")
  echo "{\"bench\": \"node_conns\", \"case\": \"$1\", \"round\": $round, \"conns_per_s\": ${rps:-0}, \"errors\": $errors}" | tee -a "$tmp/results.jsonl"
}

# Packet rates, on the chain. AWAKE=1: a SCHED_IDLE spinner on CPU 1 for the whole phase, so that
# the forwarder's CPU never halts (the vCPU's wake-up left out of the hand-off; CPU 1 is then always
# busy, and ns_cpu1_per_frame counts the spinner too).
if [ "${AWAKE:-0}" = 1 ] && [ -n "$PHASE_RATES" ]; then
  chrt -i 0 taskset -c 1 timeout $((R * 12 * (secs + 8) + 60)) sh -c 'while :; do :; done' &
  SPIN_PID=$!
  pids+=("$SPIN_PID")
fi
for ((round = 1; round <= R && ${#PHASE_RATES}; round++)); do
  # What the generator can offer: straight into the sink program on lb1's ens33.
  if case_on generator; then
    ip -n "$(ns lb1)" link set dev ens33 xdpdrv obj "$tmp/xdp_sink.o" sec xdp
    pin_napi
    measure generator lb1 ens33
    ip -n "$(ns lb1)" link set dev ens33 xdpdrv off
  fi

  unthread_napi
  # The DPDK ceiling: testpmd forwarding ens33 → eth1 on lb1, destination MAC web1's.
  case_on dpdk_ceiling && {
  timeout -s INT "$((secs + 6))" ip netns exec "$(ns lb1)" dpdk-testpmd --no-huge --no-pci --no-shconf -m 512 \
    --lcores 0@0,1@1 --log-level=3 --no-telemetry --file-prefix="nb_fwd_$$" \
    --vdev net_af_xdp0,iface=ens33 --vdev net_af_xdp1,iface=eth1 -- --forward-mode=mac --nb-cores=1 \
    --burst=32 --no-lsc-interrupt --stats-period=1 --total-num-mbufs=16384 --eth-peer="1,$WEB1_MAC" >"$tmp/fwd.out" 2>&1 </dev/null &
  fwd=$!
  pids+=("$fwd")
  sleep 2
  measure dpdk_ceiling
  kill -INT "$fwd" 2>/dev/null || true
  wait "$fwd" 2>/dev/null || true
  }
  vipd_rate vipd_dpdk_dr dpdk DR UDP 9
  vipd_rate vipd_dpdk_nat dpdk NAT UDP 9

  if case_on xdp_ceiling; then
    ip -n "$(ns lb1)" link set dev ens33 xdpdrv obj "$tmp/xdp_fwd.o" sec xdp
    pin_napi
    measure xdp_ceiling
    ip -n "$(ns lb1)" link set dev ens33 xdpdrv off
  fi
  vipd_rate vipd_xdp_dr xdp DR UDP 9
  vipd_rate vipd_xdp_nat xdp NAT UDP 9
  if case_on kernel_dnat; then
    kernel_dnat_on udp 9
    measure kernel_dnat
    kernel_dnat_off
  fi
done
[ -n "${SPIN_PID:-}" ] && { kill -TERM "$SPIN_PID" 2>/dev/null; wait "$SPIN_PID" 2>/dev/null || true; }
chain_down

# New connections, on the lab (nginx on web1 and web2).
NAME=$LABNAME
REAL_SERVERS=("$NAT.21" "$NAT.22")
if [ -n "$PHASE_CONNS" ]; then
  "$LAB" up --name "$LABNAME" --subnet "$SUBNET" --nat "$NAT" >/dev/null
  # With Connection: close nginx closes first and keeps each connection in TIME_WAIT for 60 s; a
  # client port that comes round again within that (tens of thousands of connections a case) meets
  # it, and its SYN waits for a retransmission: seconds of stall in one round or another, whatever
  # the LB. The backends keep no TIME_WAIT here and the client uses every port.
  for w in web1 web2; do ip netns exec "$(ns "$w")" sysctl -q -w net.ipv4.tcp_max_tw_buckets=0; done
  ip netns exec "$(ns client)" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"
fi
for ((round = 1; round <= R && ${#PHASE_CONNS}; round++)); do
  start_vipd dpdk NAT TCP 80
  conns vipd_dpdk_nat
  stop_vipd
  start_vipd xdp NAT TCP 80
  conns vipd_xdp_nat
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
print(f"\nnode_bench: medians of {sys.argv[3]} rounds, {sys.argv[2]} s each (64-byte UDP, the generator on CPU 0, the forwarder on CPU 1)")
ceilings = {"vipd_dpdk_dr": "dpdk_ceiling", "vipd_dpdk_nat": "dpdk_ceiling", "vipd_xdp_dr": "xdp_ceiling",
            "vipd_xdp_nat": "xdp_ceiling"}
base = ("generator", "dpdk_ceiling", "vipd_dpdk_dr", "vipd_dpdk_nat", "xdp_ceiling", "vipd_xdp_dr", "vipd_xdp_nat", "kernel_dnat")
cases = [c for b in base for c in (b, b + "_b") if any(r["case"] == c for r in rows)] or list(base)
ceilings.update({c + "_b": v for c, v in list(ceilings.items())})
mpps = {c: med("node", c, "mpps") for c in cases}
kd = mpps.get("kernel_dnat")
for c in cases:
    m, offered = mpps[c], med("node", c, "offered_mpps")
    if m is None:
        continue
    notes = []
    if c.endswith("_b") and m and mpps.get(c[:-2]):
        notes.append(f"{m / mpps[c[:-2]]:.2f} of {c[:-2]} (VIPD_B / VIPD)")
    if c in ceilings and m and mpps.get(ceilings[c]):
        notes.append(f"{m / mpps[ceilings[c]]:.2f} of {ceilings[c]}")
    if c not in ("kernel_dnat", "generator") and m and kd:
        notes.append(f"{m / kd:.2f}x kernel_dnat")
    busy, ns = med("node", c, "cpu1_busy"), med("node", c, "ns_cpu1_per_frame")
    print(f"  {c:14s} {m:.3f} Mpps delivered (offered {offered}), CPU 1 busy {busy:.2f}, {ns:.0f} ns of CPU 1 a frame  {', '.join(notes)}")
conns = {c: med("node_conns", c, "conns_per_s") for c in ("vipd_dpdk_nat", "vipd_xdp_nat", "kernel_dnat")}
print("  new TCP connections/s through the VIP (wrk, Connection: close, nginx): " +
      ", ".join(f"{c} {v:.0f}" for c, v in conns.items() if v is not None))
ns_per_frame = {c: med("node", c, "ns_cpu1_per_frame") for c in cases}
print(json.dumps({"bench": "node_summary", "mpps": mpps, "ns_cpu1_per_frame": ns_per_frame, "conns_per_s": conns}))
PY
