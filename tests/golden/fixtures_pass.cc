// What the node does not forward but leaves, unchanged, to its kernel (the stack answers: RST, echo,
// ssh) or to its control thread (VRRP, RFC 5798 §5: the control thread validates and runs the FSM).
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

namespace golden {

std::vector<Fixture> pass_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    f.push_back(one("pass_vip_port_without_service",
                    pass("TCP to a VIP port with no virtual service: the kernel answers (RST)",
                         tcp_frame(port_mac, client_mac, 40000, 443, syn), Handover::kernel)));
    f.push_back(one("pass_echo_to_vip",
                    pass("ICMP echo to the VIP: the kernel answers",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = vip, .proto = 1}, Bytes{8, 0, 0xf7, 0xff, 0, 0, 0, 0})),
                         Handover::kernel)));
    f.push_back(one("pass_tcp_to_node",
                    pass("TCP to the node's own address: the kernel",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = node_ip, .proto = 6}, tcp(client, node_ip, 40000, 22, syn, 1))),
                         Handover::kernel)));
    f.push_back(
        one("pass_ipv6", pass("IPv6 frame: the kernel", eth(port_mac, client_mac, 0x86dd, Bytes(40, 0)), Handover::kernel)));
    f.push_back(one("pass_lldp", pass("LLDP frame: the kernel",
                                      eth({0x01, 0x80, 0xc2, 0, 0, 0x0e}, client_mac, 0x88cc, Bytes(46, 0)), Handover::kernel)));
    f.push_back(one("pass_vrrp_advert",
                    pass("VRRP advert from the peer: to control",
                         eth(vrrp_mcast, peer_mac, 0x0800,
                             ipv4({.src = peer_ip, .dst = ip(224, 0, 0, 18), .proto = 112, .ttl = 255},
                                  Bytes{0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 100})),
                         Handover::control)));
    // A unicast peer may be routed (TTL below 255): control judges it (it knows its peers), as it
    // judges version 3.
    f.push_back(one("pass_vrrp_v3_unicast_routed",
                    pass("VRRPv3 advert for VRID 52 unicast to the node, TTL 62: to control",
                         eth(port_mac, peer_mac, 0x0800,
                             ipv4({.src = peer_ip, .dst = node_ip, .proto = 112, .ttl = 62},
                                  Bytes{0x31, 52, 90, 1, 0, 100, 0, 0, 10, 0, 0, 101})),
                         Handover::control)));
    return f;
}

}  // namespace golden
