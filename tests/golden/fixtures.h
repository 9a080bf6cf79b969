// The golden packet fixtures: {description, input frame, expected verdict, expected output frame},
// one table that every dataplane passes (DPDK through its lcore loop; XDP through
// bpf_prog_test_run later). Free of DPDK and BPF types.
//
// The fixtures run IN ORDER on one fresh lcore with the table built from config() and node(): the
// flow-table cases rely on the flows made by the cases before them, and the ICMP rate-limit cases on
// the clock: each fixture is processed `after_ms` milliseconds after the one before it.
#pragma once

#include "conf/model.h"
#include "dataplane/dpdk/datapath/pkt/verdict.h"
#include "tests/golden/builder.h"

#include <string>
#include <utility>
#include <vector>

namespace golden {

struct Fixture {
    std::string description;
    Bytes input;
    pkt::Verdict verdict = pkt::Verdict::drop;
    pkt::DropReason reason = pkt::DropReason::none;  // for drop
    Bytes output;  // for forward, reply and solicit: the exact frame sent (on port 0)
    uint32_t after_ms = 1;  // time since the previous fixture; 0: the same instant (a burst)
};

/// The node the fixtures assume: port 0 on 10.0.0.0/24, MTU 1500, and a second port without an
/// address (as a DPDK node lists its exception TAP); 192.0.2.0/24 routed via a gateway and no
/// default route, so 198.51.100.0/24 has no route.
struct Node {
    Mac port_mac;
    uint32_t port_ip;                                // host order
    uint8_t prefix;                                  // the port's connected network
    uint16_t mtu;
    uint16_t ports;                                  // port count: the fixtures' port and unaddressed ones
    uint32_t gateway;                                // host order: the next hop of `via_gateway`
    std::vector<std::pair<uint32_t, uint8_t>> via_gateway;  // host order networks (address, prefix)
    std::vector<uint32_t> owned;                     // host order
    std::vector<std::pair<uint32_t, Mac>> neighbours;  // host order
};

Node node();
/// The keepalived configuration the fixtures assume (built in code; see the comment in fixtures.cc
/// for its keepalived.conf spelling).
conf::Config config();
std::vector<Fixture> fixtures();

}  // namespace golden
