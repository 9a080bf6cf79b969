// DR: only the MACs change, and the TTL (IPVS decrements it in DR too, see process.cc); flows start
// at SYN; IP options; TTL expiry answered as IPVS does; an unknown next hop gets an ARP request.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

namespace golden {

std::vector<Fixture> dr_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    const Step first = dr_forward("TCP SYN to DR service 10.0.0.100:80: rr picks web1; MACs rewritten, TTL−1", 40000, 80, web1_mac);
    f.push_back(one("dr_syn", first));
    f.push_back(make("dr_flow_hit", cap::flow_state,
                     {first, dr_forward("next packet of the same flow: flow-table hit, still web1 (rr alone would give web2)", 40000, 80, web1_mac, ack | psh, 2)}));
    f.push_back(make("dr_rr_moves_on", cap::sched_state,
                     {first, dr_forward("a new flow to the same service: rr moves on to web2", 40001, 80, web2_mac)}));
    f.push_back(one("dr_udp", out("UDP to DR service 10.0.0.100:53: web1", udp_frame(port_mac, client_mac, 53),
                                  Verdict::forward, udp_frame(web1_mac, port_mac, 53, 63))));
    f.push_back(one("dr_ttl_2", out("TTL 2: forwarded with TTL 1", tcp_frame(port_mac, client_mac, 40002, 80, syn, 2),
                                    Verdict::forward, tcp_frame(web1_mac, port_mac, 40002, 80, syn, 1))));
    f.push_back(one("dr_other_host",
                    drop("a frame for another station's MAC (flooded by a switch): not forwarded",
                         tcp_frame(web2_mac, client_mac, 40004, 80, syn), Reason::other_host)));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40004, 80, syn);
        p.resize(p.size() + 6, 0);  // Ethernet padding past the IP total length is kept as is
        Bytes o = tcp_frame(web2_mac, port_mac, 40004, 80, syn, 63);
        o.resize(o.size() + 6, 0);
        f.push_back(make("dr_padded", cap::sched_state,
                         {first, out("frame padded past the IP total length: forwarded with its padding (to web2, rr's next)",
                                     p, Verdict::forward, o)}));
    }

    // Flows start at SYN (IPVS without sloppy_tcp): a mid-flow segment for no flow makes none, except
    // where the scheduler needs no state to find the same backend again (mh, sh: sched_fixtures).
    const Step ack_no_flow = drop("ACK for no flow to the rr service :80 (spoofed, or a flow this node never saw): dropped, "
                                  "no flow made",
                                  tcp_frame(port_mac, client_mac, 40010, 80, ack), Reason::tcp_no_flow);
    f.push_back(one("dr_ack_no_flow", ack_no_flow));
    f.push_back(make("dr_ack_no_flow_makes_none", cap::flow_state,
                     {ack_no_flow, drop("the same ACK again: still no flow (the first made none)",
                                        tcp_frame(port_mac, client_mac, 40010, 80, ack | psh, 64, 2), Reason::tcp_no_flow)}));
    f.push_back(one("dr_rst_no_flow", drop("RST for no flow to the rr service :80: dropped",
                                           tcp_frame(port_mac, client_mac, 40011, 80, rst), Reason::tcp_no_flow)));

    // IP options (RFC 791 §3.1): no operation is forwarded as is (source routes: drops_fixtures).
    f.push_back(one("dr_ip_options_nop",
                    out("SYN with IP options (four NOPs): forwarded with them",
                        eth(port_mac, client_mac, 0x0800,
                            ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 6, .options = {1, 1, 1, 1}},
                                 tcp(client, vip, 40030, 80, syn, 1))),
                        Verdict::forward,
                        eth(web1_mac, port_mac, 0x0800,
                            ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 63, .ihl = 6, .options = {1, 1, 1, 1}},
                                 tcp(client, vip, 40030, 80, syn, 1))))));

    // TTL expiry (IPVS's decrement_ttl(): ICMP time exceeded from the VIP, see process.cc). The
    // error's IP id is the first of a fresh state's: 0.
    {
        auto expired = [&](const std::string& what, uint8_t ttl) {
            const Bytes in = tcp_frame(port_mac, client_mac, 40003, 80, syn, ttl);
            const Bytes quoted(in.begin() + 14, in.begin() + 14 + 28);
            return out(what, in, Verdict::reply,
                       eth(client_mac, port_mac, 0x0800,
                           ipv4({.src = vip, .dst = client, .proto = 1, .ttl = 64, .id = 0, .frag = 0, .tos = 0xc0},
                                icmp_time_exceeded(quoted))));
        };
        f.push_back(one("dr_ttl_1_time_exceeded",
                        expired("TTL 1 to a DR service: ICMP time exceeded from the VIP, quoting the header (frame grows)", 1)));
        f.push_back(one("dr_ttl_0_time_exceeded", expired("TTL 0 to a DR service: ICMP time exceeded", 0)));
    }

    // Neighbours: an unknown next hop gets an ARP request (the packet is lost, as through a router).
    const Step solicit = out("DR to a backend whose MAC is unknown: the frame becomes an ARP request for it",
                             tcp_frame(port_mac, client_mac, 40000, 81, syn), Verdict::solicit,
                             eth(bcast, port_mac, 0x0806, arp(1, port_mac, node_ip, zero_mac, web3)));
    f.push_back(one("dr_solicit", solicit));
    f.push_back(make("dr_solicit_once_a_second", 0,
                     {solicit, drop("again within a second: no second request, dropped",
                                    tcp_frame(port_mac, client_mac, 40001, 81, syn), Reason::backend_unresolved)}));
    return f;
}

}  // namespace golden
