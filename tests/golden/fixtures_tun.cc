// TUN (IPIP, RFC 2003), as ip_vs_tunnel_xmit: outer source the node's address, DF and TOS copied;
// what does not fit the path MTU after encapsulation, and the ICMP rate limit on the answers.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

#include <string>

namespace golden {

std::vector<Fixture> tun_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    const Bytes inner_in = ipv4({.src = client, .dst = vip, .proto = 6}, tcp(client, vip, 40000, 82, syn, 1));
    const Bytes inner_out = ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 63}, tcp(client, vip, 40000, 82, syn, 1));
    const Step first = out("TUN SYN to 10.0.0.100:82: IPIP to web2, outer 10.0.0.2 → 10.0.0.12",
                           eth(port_mac, client_mac, 0x0800, inner_in), Verdict::forward,
                           eth(web2_mac, port_mac, 0x0800,
                               ipv4({.src = node_ip, .dst = web2, .proto = 4, .ttl = 63}, inner_out)));
    f.push_back(one("tun_syn", first));
    // The big packets below are of the flow that SYN made (an ACK for no flow makes none).
    const Bytes big = ipv4({.src = client, .dst = vip, .proto = 6}, tcp(client, vip, 40000, 82, ack | psh, 2, Bytes(1460, 0x61)));
    const Bytes quoted(big.begin(), big.begin() + 28);
    // Fragmentation needed, with the IP id the lcore gives its `id`th ICMP error since a fresh state.
    auto frag_needed = [&](const std::string& what, uint16_t id) {
        return out(what, eth(port_mac, client_mac, 0x0800, big), Verdict::reply,
                   eth(client_mac, port_mac, 0x0800,
                       ipv4({.src = node_ip, .dst = client, .proto = 1, .ttl = 64, .id = id, .frag = 0, .tos = 0xc0},
                            icmp_frag_needed(1480, quoted))));
    };
    const Step too_big = frag_needed("TUN, 1500-byte packet with DF: ICMP fragmentation needed, MTU 1480, quoting its header", 0);
    f.push_back(make("tun_frag_needed", cap::flow_state, {first, too_big}));
    f.push_back(make("tun_too_big_without_df", cap::flow_state,
                     {first, drop("TUN, 1500-byte packet without DF: not fragmented on the fast path",
                                  eth(port_mac, client_mac, 0x0800,
                                      ipv4({.src = client, .dst = vip, .proto = 6, .frag = 0},
                                           tcp(client, vip, 40000, 82, ack | psh, 3, Bytes(1460, 0x61)))),
                                  Reason::too_big)}));
    // The ICMP rate limit (the kernel's icmp_msgs_burst 50, icmp_msgs_per_sec 1000): the first answer
    // uses one token, which has come back a millisecond later, so a burst of 51 such packets at one
    // instant gets 50 answers (IP ids 1…50: the lcore numbers its ICMP errors) and the 51st none.
    // A millisecond later one token is back: one answer, then none again.
    {
        std::vector<Step> steps{first, too_big};
        for (uint16_t i = 1; i <= 50; ++i) {
            steps.push_back(frag_needed("ICMP burst, packet " + std::to_string(i) + " of 51 at one instant: answered", i));
            steps.back().after_ms = i == 1 ? 1 : 0;
        }
        Step limited = drop("ICMP burst, packet 51 of 51 at one instant: over the rate limit, not answered",
                            eth(port_mac, client_mac, 0x0800, big), Reason::icmp_rate_limited);
        limited.after_ms = 0;
        steps.push_back(limited);
        steps.push_back(frag_needed("a millisecond later: one token back, answered", 51));
        limited.what = "at the same instant again: rate limited";
        steps.push_back(limited);
        f.push_back(make("tun_icmp_rate_limit", cap::flow_state, std::move(steps)));
    }
    f.push_back(one("tun_no_route", drop("TUN SYN to 10.0.0.100:83, whose real server 198.51.100.9 has no route: dropped",
                                         tcp_frame(port_mac, client_mac, 40000, 83, syn), Reason::no_route)));
    for (Fixture& x : f) {
        x.needs |= cap::tun;  // every one of them is to a TUN service
    }
    return f;
}

}  // namespace golden
