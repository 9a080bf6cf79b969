// dp_bench --dataplane=xdp: the same service, node and frames as the DPDK lanes, run through vipd's
// XDP program with BPF_PROG_RUN (bench/xdp_bench.cc).
#pragma once

#include "conf/model.h"
#include "tests/golden/setup.h"

#include <cstdint>
#include <string>

namespace bench {

struct XdpArgs {
    std::string mode;  // dr, nat, tun
    bool new_flows = false;
    uint32_t flows = 65536;
    uint32_t backends = 8;
    std::string algo;
    double seconds = 5;  // in all, split over the rounds
    uint32_t rounds = 5; // bare and vipd alternately, each round
    uint32_t cpus = 1;   // CPUs running at once, each on flows of its own
    bool per_cpu_flows = false; // the program's per-CPU flow tables (LoadOptions::per_cpu_flows)
    uint32_t table_flows = 1u << 20; // what the flow table is sized for (LoadOptions::flows)
};

/// Runs the bench and prints its JSON line; returns the exit code.
int run_xdp(const XdpArgs& a, const conf::Config& config, const golden::Node& node, const uint8_t* frame, uint32_t frame_len);

}  // namespace bench
