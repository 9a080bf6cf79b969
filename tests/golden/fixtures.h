// The golden packet fixtures, per feature (fixtures_<feature>.cc), every one independent of the
// others: a runner resets its state before each (runner.h), so they can run alone, in any order, or
// be skipped. A fixture of several steps (a SYN, then its reply) is the unit that shares state.
//
// Every frame is built with correct checksums by builder.h; the node and its configuration are
// setup.h's node() and config.h's keepalived.conf.
#pragma once

#include "tests/golden/runner.h"

#include <vector>

namespace golden {

std::vector<Fixture> arp_fixtures();    // ARP (RFC 826): replies for owned addresses, what goes to control
std::vector<Fixture> dr_fixtures();     // DR: MACs and TTL rewritten, the flow table, IP options, TTL expiry, ARP for next hops
std::vector<Fixture> nat_fixtures();    // NAT (IPVS masquerading): DNAT, replies translated back by their flow
std::vector<Fixture> tun_fixtures();    // TUN (IPIP, RFC 2003): encapsulation, path MTU, the ICMP rate limit
std::vector<Fixture> icmp_fixtures();   // ICMP errors about balanced flows: relayed to the real server, or back from it
std::vector<Fixture> frag_fixtures();   // IPv4 fragments: the first by its flow, the later ones after it
std::vector<Fixture> sched_fixtures();  // every scheduler's first choice, persistence, stateless schedulers
std::vector<Fixture> pass_fixtures();   // what the node leaves to its kernel and its control thread
std::vector<Fixture> drops_fixtures();  // malformed IPv4, martian sources, source routes and bad options

/// Every feature's fixtures, in the order above.
std::vector<Fixture> fixtures();

}  // namespace golden
