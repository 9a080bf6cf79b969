#!/usr/bin/env bash
# The reference forwarder: dpdk-testpmd --forward-mode=io between two net_null ports (no NIC, no
# hugepages), one forwarding lcore, for S seconds. Prints one JSON line with its Mpps and TSC cycles
# per packet, to set beside dp_bench --mode io (this harness's own ceiling).
# Usage: bench/testpmd_ref.sh [SECONDS]
set -euo pipefail
secs=${1:-5}
command -v dpdk-testpmd >/dev/null || { echo "testpmd_ref: dpdk-testpmd missing (scripts/setup installs dpdk-dev)" >&2; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Non-interactive testpmd forwards until signalled, printing every port's Rx-pps each second: give it
# SECONDS (+3 for start-up), then SIGINT; the figure is the median per-second rate of both ports together.
timeout -s INT "$((secs + 3))" dpdk-testpmd --no-huge --no-pci --no-shconf -m 512 -l 0,1 --log-level=3 \
  --no-telemetry --file-prefix="vipd_testpmd_$$" --vdev net_null0 --vdev net_null1 -- \
  --forward-mode=io --nb-cores=1 --txq=1 --rxq=1 --burst=32 --no-lsc-interrupt --stats-period=1 \
  --total-num-mbufs=8192 --tx-first >"$out" 2>&1 </dev/null &
pid=$!
wait "$pid" || true
python3 - "$out" <<'PY'
import re, statistics, sys
text = open(sys.argv[1]).read()
# Each stats block lists port 0 then port 1; the one forwarding lcore moves both ports' RX to the
# other port, so its rate is the sum of the two Rx-pps of a block.
p0 = [int(x) for x in re.findall(r"NIC statistics for port 0.*?Rx-pps:\s*(\d+)", text, re.S)]
p1 = [int(x) for x in re.findall(r"NIC statistics for port 1.*?Rx-pps:\s*(\d+)", text, re.S)]
pps = [a + b for a, b in zip(p0, p1) if a > 0 and b > 0]
if not pps:
    sys.stderr.write(text[-2000:])
    sys.exit("testpmd_ref: no Rx-pps in testpmd's output")
tsc = re.search(r"CPU cycles/packet=([0-9.]+)", text)
print('{"bench": "testpmd_ref", "forward_mode": "io", "ports": "net_null x2", "lcores": 1, '
      f'"samples": {len(pps)}, "mpps": {statistics.median(pps) / 1e6:.3f}, '
      f'"cycles_per_packet": {tsc.group(1) if tsc else "null"}}}')
PY
