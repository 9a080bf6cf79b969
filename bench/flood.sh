#!/usr/bin/env bash
# Flood: a vipd pair on the lab (seed001's LVS-DR configs, unmodified: VRID 51, VIP 192.168.235.100:80
# rr over web1 and web2, HTTP_GET checkers every 6 s) under floods from the client side, one kind at
# a time, each while wrk holds keep-alive connections established through the VIP before it starts:
#   syn    TCP SYNs to VIP:80 from random sources (10.200.0.0/16, random ports and sequence numbers):
#          each one a new flow, so the flow table fills (64 Ki entries on XDP, 256 Ki per lcore on
#          DPDK, against FLOOD_S × the generator's rate) and its eviction is what is judged
#   ack    TCP ACKs to VIP:80 from random sources: segments of no flow this node knows
#   udp    UDP to VIP:80 from random sources: a port no virtual server has
#   vrrp   VRRP v2 adverts to 224.0.0.18 of every VRID but the pair's (51), TTL 255
# The generator is build/bench/xdp_gen (BPF_PROG_RUN live frames on CPU 0, as fast as the kernel takes
# them, or paced), sent by XDP_TX out of lb1's own port on the lab's bridge (p-lb1), so the
# flood reaches lb1's ens33 at the generator's rate, beside the clients' traffic that comes through
# the bridge (GEN_AT=client sends it from the client's eth0 through the bridge instead, which carries
# about 0.15 Mpps on these machines). The forwarder runs on CPU 1: DPDK's lcore, or for XDP ens33's
# NAPI as a kernel thread pinned there (on a veth it is otherwise a softirq on the sender's CPU).
# wrk (-c WRK_C, default 8, keep-alive, --timeout 2s, not pinned) runs FLOOD_S + 4 s, the flood from
# its 2nd second: its connections are established before the flood and must live through it (a flow
# the node lost shows as a read error: the connection's next segment, scheduled anew, meets a backend
# that never saw it and answers with a reset).
# Judged per case: VRRP transitions on either node (must be 0: one MASTER throughout), wrk's errors
# (a timeout is a keep-alive connection whose flow was lost: must be 0), checker failures (must be 0:
# every live backend kept), one VIP owner at the end. Measured: the generator's rate, the rate that
# reached lb1 (its ens33's XDP receive count: what the node was offered), their ratio, wrk's requests
# beside the no-flood case, and the dataplane's counters that moved (drops by reason).
#
# Usage: [DATAPLANES=xdp,dpdk] [KINDS=none,syn,ack,udp,vrrp] [FLOOD_S=8] [PPS=0] [STEPS=4] [VIPD_ARGS=]
#        [WRK_C=8] [GEN_AT=port|client]
#        [CHECK=0] [OUT=dir: each case's wrk, generator and statistics files kept] [VIPD=path LABEL=name:
#        another vipd, e.g. an older build for a before/after; xdp_gen stays BUILD_DIR's] bench/flood.sh [BUILD_DIR]
# A case runs first at PPS frames a second (default 0: the generator's full rate); where that does not
# hold, again at 0.8 of the rate that the node decided, then at halves of that (STEPS tries in all,
# default 4): the summary gives, per dataplane and kind, the highest rate that held and its share of
# the first. VIPD_ARGS go to both vipds (e.g. "--flows 16384": a table that a short flood fills).
# Prints one JSON line per run and the summary; CHECK=1 exits 1 if some case held at no rate tried. Needs root
# (else exit 77), the lab, wrk, nginx and ethtool (scripts/setup), vipd and xdp_gen built with -Dbpf
# (and -Ddpdk for DPDK). Bounded: each flood runs FLOOD_S seconds, each wrk FLOOD_S + 4 (killed at
# FLOOD_S + 20), each wait has its limit; the lab and everything started go at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
VIPD=${VIPD:-$build/vipd}   # another vipd (an older build, for a before/after) with VIPD=PATH
LABEL=${LABEL:-$(git describe --always --dirty 2>/dev/null || echo unknown)}
GEN=$build/bench/xdp_gen
# shellcheck source=tests/netns/lib.sh
source tests/netns/lib.sh
lib_require_root
lib_require_cmds wrk ethtool python3
lib_init vipdflood
lib_require_netns
lib_require_vipd
[ -x "$GEN" ] || lib_die "$GEN is not built (ninja -C $build bench/xdp_gen; needs -Dbpf=enabled)"
DATAPLANES=${DATAPLANES:-xdp,dpdk}
KINDS=${KINDS:-none,syn,ack,udp,vrrp}
FLOOD_S=${FLOOD_S:-8}
PPS=${PPS:-0}
read -r -a vipd_args <<<"${VIPD_ARGS:-}"
GEN_AT=${GEN_AT:-port}
OUT=${OUT:-}
WRK_C=${WRK_C:-8}
CHECK=${CHECK:-0}
seeds=${SEEDS:-../shared/corpus/seeds}
master=$seeds/seed001-lvs-dr-master.conf
backup=$seeds/seed001-lvs-dr-backup.conf
vip=192.168.235.100
vrid=51
results=$LIB_TMP/results.jsonl
: >"$results"

transitions() { grep -cE 'Entering (MASTER|BACKUP|FAULT) STATE' "$1" 2>/dev/null || true; }
check_failures() { grep -cE '(HTTP_CHECK|TCP_CHECK) on service .* failed' "$1" 2>/dev/null || true; }
xdp_rx() {  # xdp_rx NODE: frames ens33's XDP program has seen (veth: rx_queue_0_xdp_packets)
  ip netns exec "$LAB_NAME-$1" ethtool -S ens33 2>/dev/null | awk '$1 == "rx_queue_0_xdp_packets:" {print $2; exit}'
}

lab_up --subnet 192.168.235 --dr --web-hosts 12,13 >/dev/null
# The generator's frames leave the client by XDP_TX: the bridge port that takes them needs a NAPI.
ip netns exec "$LAB_NAME-lan" ethtool -K p-client gro on >/dev/null

# flood_case DATAPLANE KIND PPS: one flood of KIND (none: wrk alone) at PPS frames a second (0: the
# generator's full rate) against the pair (L1, L2); appends its JSON line to $results.
flood_case() {
  local dp=$1 kind=$2 pps=$3 d=$LIB_TMP/$1-$2-$3 lb1_mac tr0 tr1 cf0 rx0 rx1 gen_pid="" wrk_pid l1=$L1
  mkdir -p "$d"
  lb1_mac=$(ip -n "$LAB_NAME-lb1" -br link show dev ens33 | awk '{print $3}')
  vipd_stats "$l1" 3 >"$d/stats0" || true
  tr0=$(($(transitions "$L1_LOG") + $(transitions "$L2_LOG")))
  cf0=$(check_failures "$L1_LOG")
  rx0=$(xdp_rx lb1)
  ip netns exec "$LAB_NAME-client" timeout $((FLOOD_S + 20)) \
    wrk -t1 -c"$WRK_C" -d$((FLOOD_S + 4))s --timeout 2s "http://$vip/" >"$d/wrk.out" 2>&1 &
  wrk_pid=$!
  sleep 2
  if [ "$kind" != none ]; then
    local args=(--iface eth0 --kind "$kind" --seconds "$FLOOD_S" --pps "$pps")
    if [ "$kind" = vrrp ]; then
      args+=(--dst-mac 01:00:5e:00:00:12 --src 192.168.235.50 --dst 224.0.0.18 --skip-vrid $vrid)
    else
      args+=(--dst-mac "$lb1_mac" --src 10.200.0.1 --dst $vip --dport 80 --random-src 16)
    fi
    if [ "$GEN_AT" = port ]; then  # from lb1's own bridge port: straight into its ens33
      args[1]=p-lb1
      ip netns exec "$LAB_NAME-lan" taskset -c 0 "$GEN" "${args[@]}" >"$d/gen.out" 2>&1 &
    else
      ip netns exec "$LAB_NAME-client" taskset -c 0 "$GEN" "${args[@]}" >"$d/gen.out" 2>&1 &
    fi
    gen_pid=$!
  fi
  [ -z "$gen_pid" ] || wait "$gen_pid" || echo "flood: the generator failed: $(tail -2 "$d/gen.out")" >&2
  rx1=$(xdp_rx lb1)
  wait "$wrk_pid" || true
  sleep 1
  tr1=$(($(transitions "$L1_LOG") + $(transitions "$L2_LOG")))
  vipd_stats "$l1" 3 >"$d/stats1" || true
  LABEL=$LABEL python3 - "$dp" "$kind" "$pps" "$d" "$FLOOD_S" "$((tr1 - tr0))" "$(($(check_failures "$L1_LOG") - cf0))" \
    "$(( ${rx1:-0} - ${rx0:-0} ))" "$(vip_owners $vip lb1 lb2)" <<'PY' | tee -a "$results"
import json, os, re, sys
dp, kind, pps, d, secs, flaps, check_fail, rx, owners = sys.argv[1:]
pps, secs, flaps, check_fail, rx, owners = int(pps), int(secs), int(flaps), int(check_fail), int(rx), int(owners)
wrk = open(f"{d}/wrk.out").read()
m = re.search(r"(\d+) requests in", wrk)
requests = int(m.group(1)) if m else 0
errors = 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk)
if m:
    errors += sum(int(x) for x in m.groups())
m = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
if m:
    errors += int(m.group(1))
gen_mpps = 0.0
if kind != "none":
    for line in open(f"{d}/gen.out"):
        if line.startswith("{"):
            gen_mpps = json.loads(line)["mpps"]
def counters(path):  # "name value" and "verdict name value" lines of the statistics file
    out = {}
    try:
        for line in open(path):
            f = line.split()
            if len(f) == 2 and f[1].isdigit():
                out[f[0]] = int(f[1])
            elif len(f) == 3 and f[0] in ("verdict", "drop") and f[2].isdigit():
                out[f"{f[0]}.{f[1]}"] = int(f[2])
    except OSError:
        pass
    return out
a, b = counters(f"{d}/stats0"), counters(f"{d}/stats1")
moved = {k: b[k] - a.get(k, 0) for k in b if b[k] - a.get(k, 0) >= 1000}
offered_mpps = rx / secs / 1e6 if kind != "none" else 0.0
# the flood's frames that the node decided, by the counter each kind moves (a SYN is forwarded, as
# IPVS forwards it, or shed as new_flow_rate under vipd --new-flow-rate; wrk's keep-alive requests are
# one forwarded segment each, as the none case shows)
own = {"syn": moved.get("verdict.forward", 0) - requests + moved.get("drop.new_flow_rate", 0),
       "ack": moved.get("drop.tcp_no_flow", 0),
       "udp": moved.get("verdict.to_exception", 0), "vrrp": moved.get("drop.vrrp_foreign_vrid", 0)}.get(kind, 0)
# held: one MASTER throughout, no error on the connections, every live backend kept, one VIP owner,
# and the flood was sent (a generator that failed proves nothing)
held = (flaps == 0 and errors == 0 and check_fail == 0 and owners == 1 and requests > 0
        and (kind == "none" or gen_mpps > 0))
print(json.dumps({"bench": "flood", "vipd": os.environ["LABEL"], "dataplane": dp, "kind": kind, "pps_asked": pps, "seconds": secs,
                  "generator_mpps": round(gen_mpps, 3), "offered_mpps": round(offered_mpps, 3),
                  "decided_mpps": round(max(own, 0) / secs / 1e6, 3),
                  "vrrp_transitions": flaps, "wrk_requests": requests, "wrk_errors": errors,
                  "checker_failures": check_fail, "vip_owners": owners, "held": held,
                  "counters_moved": dict(sorted(moved.items(), key=lambda kv: -kv[1])[:8])}))
PY
}

IFS=, read -r -a dps <<<"$DATAPLANES"
IFS=, read -r -a kinds <<<"$KINDS"
for dp in "${dps[@]}"; do
  start_vipd lb1 "$master" "$LIB_TMP/$dp-lb1.log" --dataplane="$dp" --state-dir "$LIB_TMP/state-$dp-lb1" "${vipd_args[@]}"
  L1=$LAST_PID L1_LOG=$LIB_TMP/$dp-lb1.log
  start_vipd lb2 "$backup" "$LIB_TMP/$dp-lb2.log" --dataplane="$dp" --state-dir "$LIB_TMP/state-$dp-lb2" "${vipd_args[@]}"
  L2=$LAST_PID L2_LOG=$LIB_TMP/$dp-lb2.log
  wait_for_log "$L1_LOG" 'Entering MASTER STATE' 20 || lib_die "$dp: lb1 never became MASTER ($(tail -3 "$L1_LOG"))"
  wait_for_log "$L2_LOG" 'Entering BACKUP STATE' 20 || lib_die "$dp: lb2 never became BACKUP ($(tail -3 "$L2_LOG"))"
  wait_for_log "$L1_LOG" 'Remote Web server .* succeed' 20 2 || lib_die "$dp: lb1's checkers never passed"
  if [ "$dp" = xdp ]; then
    # On a veth, XDP runs in the receiver's NAPI, by default a softirq on the sender's CPU (the
    # generator's): in a kernel thread on CPU 1 instead, the forwarder's CPU, as DPDK's lcore is
    # (node_bench does the same).
    ip netns exec "$LAB_NAME-lb1" sh -c 'echo 1 > /sys/class/net/ens33/threaded'
    for t in $(pgrep '^napi/ens33' || true); do taskset -p -c 1 "$t" >/dev/null; done
  fi
  sleep 2
  for kind in "${kinds[@]}"; do
    # At the generator's full rate; where that does not hold, again at 0.8 of the rate the node
    # decided, then at halves of that, STEPS tries in all: the highest rate that held is the figure.
    pps=$PPS
    for ((try = 0; try < ${STEPS:-4}; try++)); do
      flood_case "$dp" "$kind" "$pps"
      read -r held decided < <(tail -1 "$results" | python3 -c 'import json, sys; r = json.load(sys.stdin); print(int(r["held"]), int(r["decided_mpps"] * 1e6))')
      [ "$held" = 0 ] && [ "$kind" != none ] || break
      if [ "$pps" = 0 ]; then pps=$((decided * 8 / 10)); else pps=$((pps / 2)); fi
      [ "$pps" -ge 1000 ] || break
    done
  done
  stop_pid "$L2" 10
  stop_pid "$L1" 10
  ip netns exec "$LAB_NAME-lb1" sh -c 'echo 0 > /sys/class/net/ens33/threaded' 2>/dev/null || true
  # the interfaces back to the kernel (DPDK's guardian, or the link's end) before the next dataplane
  wait_until 10 bash -c "ip -n $LAB_NAME-lb1 -br addr show dev ens33 | grep -q 192.168.235.10/24" || true
done

if [ -n "$OUT" ]; then mkdir -p "$OUT" && cp -r "$LIB_TMP"/. "$OUT"/ && rm -rf "$OUT"/state-*; fi
set +e
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# per dataplane and kind: the first rate that held (the full rate's share when it held there)
best = {}
for r in rows:
    if r["kind"] == "none":
        continue
    key = f'{r["dataplane"]}/{r["kind"]}'
    full = best.setdefault(key, {"first_mpps": r["generator_mpps"], "held_at_mpps": None})
    if r["held"] and full["held_at_mpps"] is None:
        full["held_at_mpps"] = r["generator_mpps"]
        full["share_of_first"] = round(r["generator_mpps"] / full["first_mpps"], 3) if full["first_mpps"] else None
        full["decided_mpps"] = r["decided_mpps"]
print(json.dumps({"bench": "flood_summary", "cases": best,
                  "never_held": [k for k, v in best.items() if v["held_at_mpps"] is None]}))
none_failed = [f'{r["dataplane"]}/none' for r in rows if r["kind"] == "none" and not r["held"]]
sys.exit(1 if none_failed or any(v["held_at_mpps"] is None for v in best.values()) else 0)
PY
rc=$?
if [ "$CHECK" = 1 ] && [ $rc != 0 ]; then
  echo "flood: FAIL: a case held at no rate tried (see its JSON lines)" >&2
  exit 1
fi
