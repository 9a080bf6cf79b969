// IPv4 fragments to a VIP (RFC 791 §3.2), served without reassembly: the first fragment carries the
// ports and is decided as the whole datagram would be; the later ones follow it to the same real
// server by the fragment cache (addresses, IP id, protocol; 2 s). For NAT only the first fragment has
// ports and the L4 checksum to rewrite; the later ones get the address. A later fragment with no first
// to follow is dropped (ip_fragment), and gets no ICMP error (RFC 1122 §3.2.2), nor does one whose
// TTL runs out. Expected frames are built whole and cut as the sender cut them, so every checksum the
// first fragment carries is checked against one computed over the whole datagram.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

#include <utility>

namespace golden {

namespace {

using namespace frames;

// The IP datagram `h` carrying `l4`, cut after `at` bytes of it (a multiple of 8) into a first
// fragment (MF) and the last (offset at / 8), each in an Ethernet frame from `src_mac` to `dst_mac`.
std::pair<Bytes, Bytes> fragments(const Mac& dst_mac, const Mac& src_mac, Ip4 h, const Bytes& l4, size_t at)
{
    h.frag = 0x2000;
    Bytes first = eth(dst_mac, src_mac, 0x0800, ipv4(h, Bytes(l4.begin(), l4.begin() + static_cast<long>(at))));
    h.frag = static_cast<uint16_t>(at / 8);
    Bytes last = eth(dst_mac, src_mac, 0x0800, ipv4(h, Bytes(l4.begin() + static_cast<long>(at), l4.end())));
    return {std::move(first), std::move(last)};
}

}  // namespace

std::vector<Fixture> frag_fixtures()
{
    std::vector<Fixture> f;
    const Bytes payload(40, 0x61);
    constexpr uint16_t id = 0x1234;

    // DR, UDP :53 over web1: both fragments to web1's MAC, TTL 63, nothing else changed.
    const Bytes dns = udp(client, vip, 5353, 53, payload);
    const auto [dr_in1, dr_in2] = fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 17, .id = id}, dns, 24);
    const auto [dr_out1, dr_out2] =
        fragments(web1_mac, port_mac, {.src = client, .dst = vip, .proto = 17, .ttl = 63, .id = id}, dns, 24);
    const Step dr_first = out("DR UDP to :53, first fragment (MF, the ports): its flow's real server, web1",
                              dr_in1, Verdict::forward, dr_out1);
    const Step dr_last = out("the last fragment (offset 3, no ports): after its first, to web1", dr_in2, Verdict::forward,
                             dr_out2);
    f.push_back(make("frag_dr_udp", cap::flow_state, {dr_first, dr_last}));
    f.push_back(make("frag_dr_out_of_order", cap::flow_state,
                     {drop("the last fragment before its first: nothing to follow, dropped", dr_in2, Reason::ip_fragment),
                      dr_first}));
    {
        Step late = drop("the last fragment 2.5 s after its first: the entry has expired (2 s)", dr_in2,
                         Reason::ip_fragment);
        late.after_ms = 2500;
        f.push_back(make("frag_dr_expired", cap::flow_state | cap::clock, {dr_first, late}));
    }
    {
        const auto [in1, in2] =
            fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 17, .ttl = 1, .id = id}, dns, 24);
        (void)in1;
        f.push_back(make("frag_dr_ttl_1", cap::flow_state,
                         {dr_first, drop("the last fragment with TTL 1: dropped, no ICMP error about a later fragment",
                                         in2, Reason::ttl_exceeded)}));
    }

    // NAT, UDP :5353 to web2:53: the first fragment's port and L4 checksum are rewritten with the
    // address, the last fragment's address only; web2's reply, cut too, goes back from VIP:5353.
    const Bytes query_in = udp(client, vip, 5353, 5353, payload);
    const Bytes query_out = udp(client, web2, 5353, 53, payload);
    const auto [nat_in1, nat_in2] =
        fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 17, .id = id}, query_in, 24);
    const auto [nat_out1, nat_out2] =
        fragments(web2_mac, port_mac, {.src = client, .dst = web2, .proto = 17, .ttl = 63, .id = id}, query_out, 24);
    const Bytes answer_in = udp(web2, client, 53, 5353, payload);
    const Bytes answer_out = udp(vip, client, 5353, 5353, payload);
    constexpr uint16_t answer_id = 0x4321;
    const auto [ans_in1, ans_in2] =
        fragments(port_mac, web2_mac, {.src = web2, .dst = client, .proto = 17, .id = answer_id}, answer_in, 24);
    const auto [ans_out1, ans_out2] =
        fragments(client_mac, port_mac, {.src = vip, .dst = client, .proto = 17, .ttl = 63, .id = answer_id}, answer_out, 24);
    f.push_back(make(
        "frag_nat_udp", cap::flow_state,
        {out("NAT UDP to :5353, first fragment: DNAT to web2:53, the L4 checksum updated", nat_in1, Verdict::forward, nat_out1),
         out("its last fragment: the destination address only (no ports in it)", nat_in2, Verdict::forward, nat_out2),
         out("web2's answer, first fragment: back from VIP:5353 by the flow", ans_in1, Verdict::forward, ans_out1),
         out("the answer's last fragment: its source back to the VIP", ans_in2, Verdict::forward, ans_out2)}));
    f.push_back(one("frag_nat_reply_unknown",
                    pass("a later fragment from web2 to the client with no first seen: the kernel's, as any "
                         "packet not to a VIP",
                         ans_in2, Handover::kernel)));

    // TUN, TCP :82 to web2: a SYN with data, cut inside its payload; both fragments in IPIP.
    const Bytes syn_data = tcp(client, vip, 40000, 82, syn, 1, payload);
    const auto [tun_in1, tun_in2] = fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 6, .id = id}, syn_data, 24);
    // Inside the IPIP: each fragment as it came, TTL 63; outside: the node to web2, id copied, no MF.
    const auto [tun_ttl1, tun_ttl2] =
        fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 6, .ttl = 63, .id = id}, syn_data, 24);
    const auto encapsulated = [](const Bytes& frame) {
        return eth(web2_mac, port_mac, 0x0800, ipv4({.src = node_ip, .dst = web2, .proto = 4, .ttl = 63, .id = id, .frag = 0},
                                                      Bytes(frame.begin() + 14, frame.end())));
    };
    f.push_back(make("frag_tun", cap::flow_state,
                     {out("TUN SYN with data to :82, first fragment: IPIP to web2 (the outer header without MF)", tun_in1,
                          Verdict::forward, encapsulated(tun_ttl1)),
                      out("its last fragment: IPIP to web2 too", tun_in2, Verdict::forward, encapsulated(tun_ttl2))}));

    // A VIP port with no virtual service: the kernel's, the first fragment and the rest alike.
    const auto [k_in1, k_in2] = fragments(port_mac, client_mac, {.src = client, .dst = vip, .proto = 17, .id = id},
                                          udp(client, vip, 5353, 9999, payload), 24);
    f.push_back(make("frag_to_kernel", cap::flow_state,
                     {pass("UDP to VIP:9999 (no service), first fragment: the kernel's", k_in1, Handover::kernel),
                      pass("its last fragment: the kernel's too (it reassembles them)", k_in2, Handover::kernel)}));
    return f;
}

}  // namespace golden
