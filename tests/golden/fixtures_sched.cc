// The schedulers: every one's first choice between web1 (weight 1) and web2 (weight 3) by IPVS's
// rules, persistence, the schedulers that need no flow state (sh, mh), and a service with no
// backend to give.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

#include <tuple>

namespace golden {

std::vector<Fixture> sched_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    const std::tuple<uint16_t, const char*, const char*, Mac> firsts[] = {
        {9001, "sched_wrr", "wrr: the heaviest first (IPVS's interleaving starts at the maximum weight)", web2_mac},
        {9002, "sched_fo", "fo: the heaviest available", web2_mac},
        {9003, "sched_lc", "lc: no connections anywhere, the first in order", web1_mac},
        {9004, "sched_wlc", "wlc: no connections, overheads tie at 0, the first in order", web1_mac},
        // sh, derived by hand as IPVS computes it: ip_vs_sh_hashkey() is hash_32(10.0.0.50, 8) =
        // (0x0a000032 · 0x61C88647 mod 2^32) >> 24 = bucket 223; ip_vs_sh_reassign() deals the 256
        // buckets {web1, web2, web2, web2} over and over (each server `weight` buckets in a row), so
        // bucket 223 (223 mod 4 = 3) is web2's.
        {9005, "sched_sh", "sh: the client address's bucket 223, web2's (derived; the XDP program must agree)", web2_mac},
        // mh is a self-pin: the Maglev table built from vipd's own hash of the backends' keys, with no
        // outside reference for the entry (sched_test checks the permutation against the paper's rule).
        {9006, "sched_mh", "mh: the flow's Maglev entry (a self-pin: the XDP program and the other node must agree)", web2_mac},
        {9007, "sched_sed", "sed: (active + 1) / weight, the heaviest wins at 0", web2_mac},
        {9008, "sched_nq", "nq: an idle server first, in order", web1_mac},
        {9009, "sched_ovf", "ovf: the heaviest whose active flows do not exceed its weight", web2_mac},
    };
    for (const auto& [port, name, what, mac] : firsts) {
        f.push_back(one(name, dr_forward(what, 41000, port, mac)));
    }

    // Persistence (persistence_timeout): a client's new connection goes where its last one went.
    const Step first = dr_forward("persistent service: first connection, rr gives web1", 40000, 8443, web1_mac);
    f.push_back(one("sched_persistent_first", first));
    f.push_back(make("sched_persistent_again", cap::sched_state,
                     {first, dr_forward("second connection from the same client: web1 again (rr alone would give web2)", 40001, 8443, web1_mac)}));

    // persistence_granularity 255.255.255.0: the template is the client's /24, so a neighbour in it
    // follows the client's backend, and a client of another /24 is scheduled afresh.
    const auto syn_from = [](uint32_t src, const Mac& to, std::string what) {
        const Bytes seg = tcp(src, vip, 40000, 8444, syn, 1);
        return out(std::move(what), eth(port_mac, client_mac, 0x0800, ipv4({.src = src, .dst = vip, .proto = 6}, seg)),
                   Verdict::forward, eth(to, port_mac, 0x0800, ipv4({.src = src, .dst = vip, .proto = 6, .ttl = 63}, seg)));
    };
    f.push_back(make("sched_persistent_granularity", cap::sched_state,
                     {syn_from(client, web1_mac, "persistence by /24 (:8444): the first connection, rr gives web1"),
                      syn_from(ip(10, 0, 0, 51), web1_mac,
                               "a neighbour in the client's /24: web1 again (rr alone would give web2)"),
                      syn_from(ip(10, 0, 1, 50), web2_mac, "a client of another /24: scheduled, rr gives web2")}));

    // A mid-flow segment for no flow is scheduled where the scheduler finds the same backend again
    // without state (sh by the client address), as IPVS's sloppy_tcp would.
    f.push_back(one("sched_sh_ack_no_flow",
                    dr_forward("ACK for no flow to the sh service :9005: scheduled, sh gives this client web2 without state", 42000, 9005, web2_mac, ack)));
    f.push_back(one("sched_sh_rst_no_flow",
                    drop("RST for no flow to the sh service :9005: dropped (IPVS's sloppy_tcp does not schedule RST either)",
                         tcp_frame(port_mac, client_mac, 42001, 9005, rst), Reason::tcp_no_flow)));

    f.push_back(one("sched_quiesced",
                    drop("SYN to 10.0.0.100:84, every real server quiesced (weight 0): no backend for a new flow",
                         tcp_frame(port_mac, client_mac, 40000, 84, syn), Reason::no_backend)));
    return f;
}

}  // namespace golden
