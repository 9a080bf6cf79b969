#!/usr/bin/env bash
# The dataplane figures of bench/RESULTS.md: dp_bench over every case, R runs each (interleaved, so
# a noisy neighbour hits every case alike), printing the median Mpps per lcore of each case as one
# JSON line, with the cycles per packet at the TSC rate derived from it (tsc_hz / packets per second
# per lcore: the same figure restated, not a second measurement).
# The xdp_ cases run vipd's XDP program (dp_bench --dataplane xdp, BPF_PROG_RUN on one CPU, or on
# two at once for the _2cpus ones, with the shared flow tables or, _percpu, the per-CPU ones) and add
# its ns per packet, the harness's floor (a bare XDP program behind the same harness, same run) and
# vipd's own share (the difference); every run checks that each of vipd's runs was forwarded.
# With BASE=OTHER_BUILD_DIR (a build of another commit) every DPDK case also runs that build's
# dp_bench right after this one's, and its line gains base_mpps_per_lcore and the ratio: the cost
# of a change measured side by side on the same machine at the same time; so does every xdp_ case,
# whose line gains base_vipd_ns_per_packet (that build's program, its floor measured with it).
# ONLY=REGEX runs the cases whose name matches.
# Usage: R=3 SECONDS_PER_RUN=3 [BASE=../old/build] [ONLY=^xdp_] bench/dp_matrix.sh [BUILD_DIR]   (not SECONDS: bash's own, the seconds
# since the shell started)
set -euo pipefail
build=${1:-build}
R=${R:-3}
SECS=${SECONDS_PER_RUN:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cases=(
  "io|--mode io"
  "dr_hit_1k|--mode dr --flows 1024"
  "dr_hit_64k|--mode dr --flows 65536"
  "nat_hit_1k|--mode nat --flows 1024"
  "nat_hit_64k|--mode nat --flows 65536"
  "tun_hit_1k|--mode tun --flows 1024"
  "dr_new|--mode dr --new-flows"
  "nat_new|--mode nat --new-flows"
  "tun_new|--mode tun --new-flows"
  "io_2lcores|--mode io --lcores 2"
  "dr_hit_1k_2lcores|--mode dr --flows 1024 --lcores 2"
  "xdp_dr_hit_1k|--dataplane xdp --mode dr --flows 1024"
  "xdp_dr_hit_64k|--dataplane xdp --mode dr --flows 65536"
  "xdp_nat_hit_1k|--dataplane xdp --mode nat --flows 1024"
  "xdp_nat_hit_64k|--dataplane xdp --mode nat --flows 65536"
  "xdp_tun_hit_1k|--dataplane xdp --mode tun --flows 1024"
  "xdp_dr_new|--dataplane xdp --mode dr --new-flows"
  "xdp_dr_new_table64k|--dataplane xdp --mode dr --new-flows --table-flows 65536"
  "xdp_dr_hit_64k_table64k|--dataplane xdp --mode dr --flows 65536 --table-flows 65536"
  "xdp_nat_new|--dataplane xdp --mode nat --new-flows"
  "xdp_dr_hit_64k_percpu|--dataplane xdp --mode dr --flows 65536 --flow-tables per-cpu"
  "xdp_dr_new_percpu|--dataplane xdp --mode dr --new-flows --flow-tables per-cpu"
  "xdp_dr_hit_64k_2cpus|--dataplane xdp --mode dr --flows 65536 --lcores 2"
  "xdp_dr_hit_64k_2cpus_percpu|--dataplane xdp --mode dr --flows 65536 --lcores 2 --flow-tables per-cpu"
  "xdp_dr_new_2cpus|--dataplane xdp --mode dr --new-flows --lcores 2"
  "xdp_dr_new_2cpus_percpu|--dataplane xdp --mode dr --new-flows --lcores 2 --flow-tables per-cpu"
)
if [ -n "${ONLY:-}" ]; then
  kept=()
  for c in "${cases[@]}"; do
    [[ ${c%%|*} =~ $ONLY ]] && kept+=("$c")
  done
  cases=("${kept[@]}")
fi
for ((r = 0; r < R; r++)); do
  for c in "${cases[@]}"; do
    name=${c%%|*}
    # shellcheck disable=SC2086
    "$build/bench/dp_bench" ${c#*|} --seconds "$SECS" >>"$tmp/$name"
    if [ -n "${BASE:-}" ]; then
      # shellcheck disable=SC2086
      "$BASE/bench/dp_bench" ${c#*|} --seconds "$SECS" >>"$tmp/$name.base"
    fi
  done
done
for c in "${cases[@]}"; do
  name=${c%%|*}
  python3 - "$tmp/$name" "$name" "${c#*|}" <<'PY'
import json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
base = [json.loads(l) for l in open(sys.argv[1] + ".base")] if os.path.exists(sys.argv[1] + ".base") else []
# A dp_bench built before the field was named as derived (to rerun RESULTS.md at its commits) prints
# tsc_cycles_per_packet and no tsc_hz.
for r in runs:
    r.setdefault("tsc_cycles_per_packet_derived", r.get("tsc_cycles_per_packet"))
med = lambda k: statistics.median(r[k] for r in runs)
out = {"case": sys.argv[2], "args": sys.argv[3], "runs": len(runs),
       "mpps_per_lcore": round(med("mpps_per_lcore"), 2)}
if runs[0].get("dataplane") == "xdp":
    out.update({k: round(med(k), 1) for k in ("ns_per_packet", "floor_ns_per_packet", "vipd_ns_per_packet")})
    out["mpps"] = round(med("mpps"), 2)  # all its CPUs together
    out["all_forwarded"] = all(r["all_forwarded"] for r in runs)
    if base:
        b = statistics.median(r["vipd_ns_per_packet"] for r in base)
        out.update({"base_vipd_ns_per_packet": round(b, 1), "base_all_forwarded": all(r["all_forwarded"] for r in base)})
else:
    out.update({"tsc_hz": runs[0].get("tsc_hz"),
                "tsc_cycles_per_packet_derived": round(med("tsc_cycles_per_packet_derived"), 1),
                "drops": max(r["drops"] for r in runs)})
    if base:
        b = statistics.median(r["mpps_per_lcore"] for r in base)
        out.update({"base_mpps_per_lcore": round(b, 2), "ratio_to_base": round(med("mpps_per_lcore") / b, 3)})
print(json.dumps(out))
PY
done
