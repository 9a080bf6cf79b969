// ICMP errors about balanced flows, as IPVS's ip_vs_in_icmp() and ip_vs_out_icmp(): one to a VIP
// about a datagram a real server sent from VIP:port (a router reporting fragmentation needed on the
// way to the client) goes on to that real server — DR as it is, TUN in IPIP, NAT translated — and a
// NAT real server's error about a client's datagram goes back to the client as from VIP:port. About
// no flow of ours, an ICMP error is the kernel's, as before. Expected frames are built whole by the
// builder (every checksum computed), so the incremental updates are checked against them.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

namespace golden {

std::vector<Fixture> icmp_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    constexpr uint32_t router = ip(192, 0, 2, 1);  // on the way to far_client, behind the gateway
    // The first 28 bytes of a datagram: what an ICMP error quotes (RFC 792).
    const auto quote = [](const Bytes& datagram) { return Bytes(datagram.begin(), datagram.begin() + 28); };
    // An ICMP error from the router to `dst` quoting `datagram`, and the same as forwarded (TTL 63).
    const auto from_router = [&](uint32_t dst, const Bytes& icmp, uint8_t ttl = 64) {
        return eth(port_mac, gw_mac, 0x0800, ipv4({.src = router, .dst = dst, .proto = 1, .ttl = ttl}, icmp));
    };
    const auto syn_from_far = [](uint16_t dport, const Mac& to) {
        const Bytes seg = tcp(far_client, vip, 40000, dport, syn, 1);
        return out("SYN from the far client 192.0.2.7:40000 to 10.0.0.100:" + std::to_string(dport),
                   eth(port_mac, gw_mac, 0x0800, ipv4({.src = far_client, .dst = vip, .proto = 6}, seg)), Verdict::forward,
                   eth(to, port_mac, 0x0800, ipv4({.src = far_client, .dst = vip, .proto = 6, .ttl = 63}, seg)));
    };

    // DR: web1 answers from VIP:80; the router cannot pass its 1500-byte segment on.
    const Bytes dr_icmp = icmp_frag_needed(
        1400, quote(ipv4({.src = vip, .dst = far_client, .proto = 6}, tcp(vip, far_client, 80, 40000, ack, 7001))));
    f.push_back(make("icmp_dr_frag_needed", cap::flow_state,
                     {syn_from_far(80, web1_mac),
                      out("fragmentation needed from a router about web1's VIP:80 → 192.0.2.7:40000: to web1 (DR), TTL−1",
                          from_router(vip, dr_icmp), Verdict::forward,
                          eth(web1_mac, port_mac, 0x0800, ipv4({.src = router, .dst = vip, .proto = 1, .ttl = 63}, dr_icmp)))}));
    f.push_back(one("icmp_dr_no_flow", pass("fragmentation needed about VIP:80 → 192.0.2.7:40000 with no flow: the kernel's",
                                            from_router(vip, dr_icmp), Handover::kernel)));
    f.push_back(make("icmp_dr_ttl_1", cap::flow_state,
                     {syn_from_far(80, web1_mac),
                      drop("the same with TTL 1: dropped (no ICMP error about an ICMP error)", from_router(vip, dr_icmp, 1),
                           Reason::ttl_exceeded)}));
    f.push_back(one("icmp_echo_to_vip_with_flows",
                    pass("an echo request to the VIP is not an error: the kernel answers",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = vip, .proto = 1}, Bytes{8, 0, 0xf7, 0xfe, 0, 1, 0, 0})),
                         Handover::kernel)));

    // TUN: web2 answers from VIP:82; the error goes to it in IPIP.
    const Bytes tun_icmp = icmp_frag_needed(
        1400, quote(ipv4({.src = vip, .dst = far_client, .proto = 6}, tcp(vip, far_client, 82, 40000, ack, 7001))));
    const Bytes tun_inner = ipv4({.src = router, .dst = vip, .proto = 1, .ttl = 63}, tun_icmp);
    const Bytes tun_syn = tcp(far_client, vip, 40000, 82, syn, 1);
    f.push_back(make("icmp_tun_frag_needed", cap::flow_state,
                     {out("TUN SYN from the far client to 10.0.0.100:82: IPIP to web2",
                          eth(port_mac, gw_mac, 0x0800, ipv4({.src = far_client, .dst = vip, .proto = 6}, tun_syn)),
                          Verdict::forward,
                          eth(web2_mac, port_mac, 0x0800,
                              ipv4({.src = node_ip, .dst = web2, .proto = 4, .ttl = 63},
                                   ipv4({.src = far_client, .dst = vip, .proto = 6, .ttl = 63}, tun_syn)))),
                      out("fragmentation needed about web2's VIP:82 → 192.0.2.7:40000: to web2 in IPIP",
                          from_router(vip, tun_icmp), Verdict::forward,
                          eth(web2_mac, port_mac, 0x0800,
                              ipv4({.src = node_ip, .dst = web2, .proto = 4, .ttl = 63}, tun_inner)))}));

    // NAT, to the VIP: web1:80 answered as VIP:8080; the error goes to web1 with the outer
    // destination and the quoted source translated (the quote's TCP checksum, beyond its 8 bytes,
    // is not there to patch).
    const Bytes nat_syn = tcp(far_client, vip, 40000, 8080, syn, 1);
    const Step syn_8080 = out("NAT SYN from the far client to 10.0.0.100:8080: DNAT to web1:80",
                              eth(port_mac, gw_mac, 0x0800, ipv4({.src = far_client, .dst = vip, .proto = 6}, nat_syn)),
                              Verdict::forward,
                              eth(web1_mac, port_mac, 0x0800,
                                  ipv4({.src = far_client, .dst = web1, .proto = 6, .ttl = 63},
                                       tcp(far_client, web1, 40000, 80, syn, 1))));
    const Bytes nat_icmp_in = icmp_frag_needed(
        1400, quote(ipv4({.src = vip, .dst = far_client, .proto = 6}, tcp(vip, far_client, 8080, 40000, ack, 7001))));
    const Bytes nat_icmp_out = icmp_frag_needed(
        1400, quote(ipv4({.src = web1, .dst = far_client, .proto = 6}, tcp(web1, far_client, 80, 40000, ack, 7001))));
    f.push_back(make("icmp_nat_frag_needed", cap::flow_state,
                     {syn_8080,
                      out("fragmentation needed about VIP:8080 → 192.0.2.7:40000: to web1, quoting web1:80 as the source",
                          from_router(vip, nat_icmp_in), Verdict::forward,
                          eth(web1_mac, port_mac, 0x0800,
                              ipv4({.src = router, .dst = web1, .proto = 1, .ttl = 63}, nat_icmp_out)))}));

    // NAT, from the real server: web1 reports an error about the client's datagram to web1:80; the
    // client gets it from the VIP, about its datagram to VIP:8080, through the gateway.
    const Bytes to_web1 = ipv4({.src = far_client, .dst = web1, .proto = 6, .ttl = 63}, tcp(far_client, web1, 40000, 80, ack, 2));
    const Bytes to_vip = ipv4({.src = far_client, .dst = vip, .proto = 6, .ttl = 63}, tcp(far_client, vip, 40000, 8080, ack, 2));
    const Bytes back_in = icmp_frag_needed(1400, quote(to_web1));
    const Bytes back_out = icmp_frag_needed(1400, quote(to_vip));
    const Bytes from_web1 = eth(port_mac, web1_mac, 0x0800, ipv4({.src = web1, .dst = far_client, .proto = 1}, back_in));
    f.push_back(make("icmp_nat_from_real_server", cap::flow_state,
                     {syn_8080,
                      out("web1's fragmentation needed about 192.0.2.7:40000 → web1:80: to the client from the VIP, "
                          "quoting VIP:8080, via the gateway",
                          from_web1, Verdict::forward,
                          eth(gw_mac, port_mac, 0x0800, ipv4({.src = vip, .dst = far_client, .proto = 1, .ttl = 63}, back_out)))}));
    f.push_back(one("icmp_nat_from_real_server_no_flow",
                    pass("web1's error about a datagram of no flow: the kernel's, untranslated", from_web1, Handover::kernel)));
    return f;
}

}  // namespace golden
