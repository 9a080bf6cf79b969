// NAT (IPVS masquerading): DNAT to the real server, replies translated back by their flow and never
// without one; checksums patched incrementally and checked here against the builder's computed ones.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

namespace golden {

std::vector<Fixture> nat_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    auto to_vip = [](uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq) {
        return eth(port_mac, client_mac, 0x0800,
                   ipv4({.src = client, .dst = vip, .proto = 6}, tcp(client, vip, sport, dport, flags, seq)));
    };
    auto from_web1 = [](uint32_t dst, uint16_t dport, uint8_t flags, uint32_t seq) {
        return eth(port_mac, web1_mac, 0x0800,
                   ipv4({.src = web1, .dst = dst, .proto = 6}, tcp(web1, dst, 80, dport, flags, seq)));
    };
    f.push_back(one("nat_health_check_answer",
                    pass("web1:80 answering the node's own health check (to the node's address): the kernel, not a NAT reply",
                         from_web1(node_ip, 45000, syn | ack, 5000), Handover::kernel)));
    const Step syn_8080 = out("NAT SYN to 10.0.0.100:8080: DNAT to web1:80, TTL−1, IP and TCP checksums patched",
                              to_vip(40000, 8080, syn, 1), Verdict::forward,
                              eth(web1_mac, port_mac, 0x0800,
                                  ipv4({.src = client, .dst = web1, .proto = 6, .ttl = 63},
                                       tcp(client, web1, 40000, 80, syn, 1))));
    const Step reply_8080 = out("NAT reply SYN-ACK from web1:80: back to VIP:8080, to the client's MAC",
                                from_web1(client, 40000, syn | ack, 7000), Verdict::forward,
                                eth(client_mac, port_mac, 0x0800,
                                    ipv4({.src = vip, .dst = client, .proto = 6, .ttl = 63},
                                         tcp(vip, client, 8080, 40000, syn | ack, 7000))));
    const Step syn_8081 = out("NAT SYN to 10.0.0.100:8081, whose real server web1:80 also serves :8080",
                              to_vip(40001, 8081, syn, 1), Verdict::forward,
                              eth(web1_mac, port_mac, 0x0800,
                                  ipv4({.src = client, .dst = web1, .proto = 6, .ttl = 63},
                                       tcp(client, web1, 40001, 80, syn, 1))));
    f.push_back(one("nat_syn", syn_8080));
    f.push_back(make("nat_reply", cap::flow_state, {syn_8080, reply_8080}));
    f.push_back(one("nat_second_service_syn", syn_8081));
    f.push_back(make("nat_reply_finds_its_service", cap::flow_state,
                     {syn_8080, syn_8081,
                      out("the :8081 flow's reply: the flow table tells :8081 from :8080",
                          from_web1(client, 40001, syn | ack, 9000), Verdict::forward,
                          eth(client_mac, port_mac, 0x0800,
                              ipv4({.src = vip, .dst = client, .proto = 6, .ttl = 63},
                                   tcp(vip, client, 8081, 40001, syn | ack, 9000))))}));
    f.push_back(one("nat_reply_no_flow", drop("a reply from web1:80 with no flow: two services could own it, none is guessed",
                                              from_web1(client, 40099, ack, 1), Reason::nat_no_flow)));
    f.push_back(make("nat_reply_ttl_1", cap::flow_state,
                     {syn_8080, reply_8080,
                      drop("a reply from web1:80 for the :8080 flow with TTL 1: not forwarded (the kernel would not either)",
                           eth(port_mac, web1_mac, 0x0800,
                               ipv4({.src = web1, .dst = client, .proto = 6, .ttl = 1}, tcp(web1, client, 80, 40000, ack, 7001))),
                           Reason::ttl_exceeded)}));

    const Bytes query{0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    const Step udp_5353 = out("NAT UDP to 10.0.0.100:5353: DNAT to web2:53",
                              eth(port_mac, client_mac, 0x0800,
                                  ipv4({.src = client, .dst = vip, .proto = 17}, udp(client, vip, 5353, 5353, query))),
                              Verdict::forward,
                              eth(web2_mac, port_mac, 0x0800,
                                  ipv4({.src = client, .dst = web2, .proto = 17, .ttl = 63},
                                       udp(client, web2, 5353, 53, query))));
    f.push_back(one("nat_udp", udp_5353));
    {
        Bytes in = eth(port_mac, client_mac, 0x0800,
                       ipv4({.src = client, .dst = vip, .proto = 17}, udp(client, vip, 5354, 5353, query)));
        Bytes o = eth(web2_mac, port_mac, 0x0800,
                      ipv4({.src = client, .dst = web2, .proto = 17, .ttl = 63}, udp(client, web2, 5354, 53, query)));
        in[14 + 20 + 6] = in[14 + 20 + 7] = 0;
        o[14 + 20 + 6] = o[14 + 20 + 7] = 0;
        f.push_back(
            one("nat_udp_no_checksum", out("NAT UDP without a checksum (0): stays 0 (RFC 768)", in, Verdict::forward, o)));
    }
    f.push_back(make("nat_udp_reply", cap::flow_state,
                     {udp_5353, out("NAT UDP reply from web2:53 for the flow above: back to VIP:5353",
                                    eth(port_mac, web2_mac, 0x0800,
                                        ipv4({.src = web2, .dst = client, .proto = 17}, udp(web2, client, 53, 5353, query))),
                                    Verdict::forward,
                                    eth(client_mac, port_mac, 0x0800,
                                        ipv4({.src = vip, .dst = client, .proto = 17, .ttl = 63},
                                             udp(vip, client, 5353, 5353, query))))}));
    // Once translated statelessly when the backend served one service: an open translator for
    // anyone who can spoof web2:53. NAT flows across a failover need flow sync (not yet there).
    f.push_back(one("nat_reply_far_client_no_flow",
                    drop("NAT reply from web2:53 to a client behind the gateway, no flow here (one made on the old "
                         "master before a failover, or spoofed): not translated",
                         eth(port_mac, web2_mac, 0x0800,
                             ipv4({.src = web2, .dst = far_client, .proto = 17}, udp(web2, far_client, 53, 5353, query))),
                         Reason::nat_no_flow)));
    return f;
}

}  // namespace golden
