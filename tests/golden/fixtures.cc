// The golden fixtures and the configuration they run against.
//
// The configuration, as keepalived.conf:
//   vrrp_instance VI_1 { interface eth0  virtual_router_id 51  virtual_ipaddress { 10.0.0.100 } }  # MASTER
//   vrrp_instance VI_2 { interface eth0  virtual_router_id 52  virtual_ipaddress { 10.0.0.101 } }  # BACKUP
//   virtual_server 10.0.0.100 80   { lb_algo rr  lb_kind DR  protocol TCP
//                                    real_server 10.0.0.11 80 {}  real_server 10.0.0.12 80 {} }
//   virtual_server 10.0.0.100 53   { lb_algo rr  lb_kind DR  protocol UDP  real_server 10.0.0.11 53 {} }
//   virtual_server 10.0.0.100 8080 { lb_algo rr  lb_kind NAT protocol TCP  real_server 10.0.0.11 80 {} }
//   virtual_server 10.0.0.100 81   { lb_algo rr  lb_kind DR  protocol TCP  real_server 10.0.0.13 81 {} }  # MAC unknown
//   virtual_server 10.0.0.100 8081 { lb_algo rr  lb_kind NAT protocol TCP  real_server 10.0.0.11 80 {} }  # same RS
//   virtual_server 10.0.0.100 5353 { lb_algo rr  lb_kind NAT protocol UDP  real_server 10.0.0.12 53 {} }
//   virtual_server 10.0.0.100 82   { lb_algo rr  lb_kind TUN protocol TCP  real_server 10.0.0.12 82 {} }
//   virtual_server 10.0.0.100 8443 { lb_algo rr  lb_kind DR  protocol TCP  persistence_timeout 300
//                                    real_server 10.0.0.11 8443 {}  real_server 10.0.0.12 8443 {} }
//   virtual_server 10.0.0.100 9001…9009 { lb_algo wrr|fo|lc|wlc|sh|mh|sed|nq|ovf  lb_kind DR  protocol TCP
//                                    real_server 10.0.0.11 … { weight 1 }  real_server 10.0.0.12 … { weight 3 } }
//   virtual_server 10.0.0.100 83   { lb_algo rr  lb_kind TUN protocol TCP  real_server 198.51.100.9 83 {} }  # no route
//   virtual_server 10.0.0.100 84   { lb_algo rr  lb_kind DR  protocol TCP              # quiesced
//                                    real_server 10.0.0.11 84 { weight 0 }  real_server 10.0.0.12 84 { weight 0 } }
// The node: 10.0.0.2/24 on port 0, MTU 1500, a second port without an address (a DPDK node's
// exception TAP), 192.0.2.0/24 via 10.0.0.1 and no default route; the client 10.0.0.50 is on the
// link, 192.0.2.7 is a client behind the gateway, 198.51.100.9 is unreachable.
#include "tests/golden/fixtures.h"

#include <string>
#include <tuple>

namespace golden {
namespace {

using pkt::DropReason;
using pkt::Verdict;

constexpr Mac port_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr Mac client_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x50};
constexpr Mac web1_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x11};
constexpr Mac web2_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x12};
constexpr Mac bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr Mac zero{};
constexpr Mac vrrp_mcast{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
constexpr Mac peer_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr Mac gw_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};

constexpr uint32_t node_ip = ip(10, 0, 0, 2);
constexpr uint32_t peer_ip = ip(10, 0, 0, 3);
constexpr uint32_t client = ip(10, 0, 0, 50);
constexpr uint32_t vip = ip(10, 0, 0, 100);
constexpr uint32_t vip_backup = ip(10, 0, 0, 101);
constexpr uint32_t web1 = ip(10, 0, 0, 11);
constexpr uint32_t web2 = ip(10, 0, 0, 12);
constexpr uint32_t web3 = ip(10, 0, 0, 13);
constexpr uint32_t gateway = ip(10, 0, 0, 1);
constexpr uint32_t far_client = ip(192, 0, 2, 7);
constexpr uint32_t unrouted = ip(198, 51, 100, 9);

constexpr uint8_t syn = 0x02;
constexpr uint8_t ack = 0x10;
constexpr uint8_t psh = 0x08;

conf::Ip cip(uint32_t host) { return conf::Ip::v4(host); }

struct Real {
    uint32_t addr;
    uint16_t port;
    int weight = 1;
};

conf::VirtualServer vs(uint16_t port, conf::Protocol proto, conf::LbKind kind, std::vector<Real> reals,
                       conf::LbAlgo algo = conf::LbAlgo::rr)
{
    conf::VirtualServer v;
    v.addr = cip(vip);
    v.port = port;
    v.algo = algo;
    v.algo_set = true;
    v.kind = kind;
    v.kind_set = true;
    v.protocol = proto;
    v.protocol_set = true;
    for (const Real& r : reals) {
        conf::RealServer rs;
        rs.addr = cip(r.addr);
        rs.port = r.port;
        rs.weight = r.weight;
        v.real_servers.push_back(rs);
    }
    return v;
}

// A TCP frame from the client to VIP:dport.
Bytes tcp_frame(const Mac& dst_mac, const Mac& src_mac, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t ttl = 64,
                uint32_t seq = 1)
{
    return eth(dst_mac, src_mac, 0x0800,
               ipv4({.src = client, .dst = vip, .proto = 6, .ttl = ttl}, tcp(client, vip, sport, dport, flags, seq)));
}

Bytes udp_frame(const Mac& dst_mac, const Mac& src_mac, uint16_t dport, uint8_t ttl = 64)
{
    const Bytes query{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    return eth(dst_mac, src_mac, 0x0800,
               ipv4({.src = client, .dst = vip, .proto = 17, .ttl = ttl}, udp(client, vip, 5353, dport, query)));
}

Fixture drop(std::string d, Bytes in, DropReason r)
{
    return {.description = std::move(d), .input = std::move(in), .verdict = Verdict::drop, .reason = r, .output = {},
            .after_ms = 1};
}
Fixture to(std::string d, Bytes in, Verdict v)
{
    return {.description = std::move(d), .input = std::move(in), .verdict = v, .reason = DropReason::none, .output = {},
            .after_ms = 1};
}
Fixture out(std::string d, Bytes in, Verdict v, Bytes o)
{
    return {.description = std::move(d), .input = std::move(in), .verdict = v, .reason = DropReason::none,
            .output = std::move(o), .after_ms = 1};
}

}  // namespace

Node node()
{
    return {.port_mac = port_mac,
            .port_ip = node_ip,
            .prefix = 24,
            .mtu = 1500,
            .ports = 2,
            .gateway = gateway,
            .via_gateway = {{ip(192, 0, 2, 0), 24}},
            .owned = {vip},
            .neighbours = {{web1, web1_mac}, {web2, web2_mac}, {client, client_mac}, {gateway, gw_mac}}};
}

conf::Config config()
{
    conf::Config c;
    auto instance = [](std::string name, int vrid, uint32_t addr) {
        conf::VrrpInstance vi;
        vi.name = std::move(name);
        vi.interface = "eth0";
        vi.vrid = vrid;
        conf::VirtualIp v;
        v.addr = cip(addr);
        vi.vips.push_back(v);
        return vi;
    };
    c.instances.push_back(instance("VI_1", 51, vip));
    c.instances.push_back(instance("VI_2", 52, vip_backup));
    using conf::LbAlgo;
    using conf::LbKind;
    using conf::Protocol;
    c.virtual_servers.push_back(vs(80, Protocol::tcp, LbKind::dr, {{web1, 80}, {web2, 80}}));
    c.virtual_servers.push_back(vs(53, Protocol::udp, LbKind::dr, {{web1, 53}}));
    c.virtual_servers.push_back(vs(8080, Protocol::tcp, LbKind::nat, {{web1, 80}}));
    c.virtual_servers.push_back(vs(81, Protocol::tcp, LbKind::dr, {{web3, 81}}));
    c.virtual_servers.push_back(vs(8081, Protocol::tcp, LbKind::nat, {{web1, 80}}));
    c.virtual_servers.push_back(vs(5353, Protocol::udp, LbKind::nat, {{web2, 53}}));
    c.virtual_servers.push_back(vs(82, Protocol::tcp, LbKind::tun, {{web2, 82}}));
    c.virtual_servers.push_back(vs(8443, Protocol::tcp, LbKind::dr, {{web1, 8443}, {web2, 8443}}));
    c.virtual_servers.back().persistence_timeout_s = 300;
    const std::pair<uint16_t, LbAlgo> algos[] = {{9001, LbAlgo::wrr}, {9002, LbAlgo::fo}, {9003, LbAlgo::lc},
                                                 {9004, LbAlgo::wlc}, {9005, LbAlgo::sh}, {9006, LbAlgo::mh},
                                                 {9007, LbAlgo::sed}, {9008, LbAlgo::nq}, {9009, LbAlgo::ovf}};
    for (const auto& [port, algo] : algos) {
        c.virtual_servers.push_back(vs(port, Protocol::tcp, LbKind::dr, {{web1, port, 1}, {web2, port, 3}}, algo));
    }
    c.virtual_servers.push_back(vs(83, Protocol::tcp, LbKind::tun, {{unrouted, 83}}));
    c.virtual_servers.push_back(vs(84, Protocol::tcp, LbKind::dr, {{web1, 84, 0}, {web2, 84, 0}}));
    return c;
}

std::vector<Fixture> fixtures()
{
    std::vector<Fixture> f;

    // ARP (RFC 826).
    f.push_back(out("ARP who-has owned VIP 10.0.0.100: reply with the port's MAC",
                    eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, vip)), Verdict::reply,
                    eth(client_mac, port_mac, 0x0806, arp(2, port_mac, vip, client_mac, client))));
    f.push_back(out("ARP who-has the node's own IP: reply",
                    eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, node_ip)), Verdict::reply,
                    eth(client_mac, port_mac, 0x0806, arp(2, port_mac, node_ip, client_mac, client))));
    f.push_back(drop("ARP who-has a VIP this node does not own (VRRP backup): no reply",
                     eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, vip_backup)),
                     DropReason::arp_vip_not_owned));
    f.push_back(drop("ARP who-has an address that is neither ours nor a VIP: no reply",
                     eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, ip(10, 0, 0, 77))),
                     DropReason::arp_not_ours));
    f.push_back(to("ARP reply from a backend: to control, which learns the neighbour (and tells the kernel)",
                   eth(port_mac, web1_mac, 0x0806, arp(2, web1_mac, web1, port_mac, node_ip)), Verdict::to_control));
    f.push_back(to("gratuitous ARP from the peer for the VIP: to control (a conflict, or a neighbour's new MAC)",
                   eth(bcast, peer_mac, 0x0806, arp(1, peer_mac, vip, zero, vip)), Verdict::to_control));
    {
        Bytes a = eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, vip));
        a.resize(14 + 27);
        f.push_back(drop("ARP cut one byte short", a, DropReason::arp_truncated));
    }
    f.push_back(drop("ARP who-has the VIP from a broadcast sender MAC: no reply (it would be broadcast), nothing learnt",
                     eth(bcast, client_mac, 0x0806, arp(1, bcast, client, zero, vip)), DropReason::arp_bad_sender));
    f.push_back(drop("gratuitous ARP with a multicast sender MAC: not passed on for learning",
                     eth(bcast, client_mac, 0x0806, arp(1, vrrp_mcast, web1, zero, web1)), DropReason::arp_bad_sender));
    {
        Bytes a = eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, vip));
        a[14 + 1] = 6;  // hardware type 6 (IEEE 802), not Ethernet (1): RFC 826 says drop it
        f.push_back(drop("ARP with hardware type 6: not Ethernet/IPv4, no reply", a, DropReason::arp_unsupported));
    }

    // DR: only the MACs change, and the TTL (IPVS decrements it in DR too, see process.cc).
    f.push_back(out("TCP SYN to DR service 10.0.0.100:80: rr picks web1; MACs rewritten, TTL−1",
                    tcp_frame(port_mac, client_mac, 40000, 80, syn), Verdict::forward,
                    tcp_frame(web1_mac, port_mac, 40000, 80, syn, 63)));
    f.push_back(out("next packet of the same flow: flow-table hit, still web1 (rr alone would give web2)",
                    tcp_frame(port_mac, client_mac, 40000, 80, ack | psh, 64, 2), Verdict::forward,
                    tcp_frame(web1_mac, port_mac, 40000, 80, ack | psh, 63, 2)));
    f.push_back(out("a new flow to the same service: rr moves on to web2",
                    tcp_frame(port_mac, client_mac, 40001, 80, syn), Verdict::forward,
                    tcp_frame(web2_mac, port_mac, 40001, 80, syn, 63)));
    f.push_back(out("UDP to DR service 10.0.0.100:53: web1", udp_frame(port_mac, client_mac, 53), Verdict::forward,
                    udp_frame(web1_mac, port_mac, 53, 63)));
    f.push_back(out("TTL 2: forwarded with TTL 1", tcp_frame(port_mac, client_mac, 40002, 80, syn, 2),
                    Verdict::forward, tcp_frame(web1_mac, port_mac, 40002, 80, syn, 1)));
    f.push_back(drop("a frame for another station's MAC (flooded by a switch): not forwarded",
                     tcp_frame(web2_mac, client_mac, 40004, 80, syn), DropReason::other_host));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40004, 80, syn);
        p.resize(p.size() + 6, 0);  // Ethernet padding past the IP total length is kept as is
        Bytes o = tcp_frame(web2_mac, port_mac, 40004, 80, syn, 63);
        o.resize(o.size() + 6, 0);
        f.push_back(out("frame padded past the IP total length: forwarded with its padding", p, Verdict::forward, o));
    }

    // Flows start at SYN (IPVS without sloppy_tcp): a mid-flow segment for no flow makes none, except
    // where the scheduler needs no state to find the same backend again (mh, sh).
    f.push_back(drop("ACK for no flow to the rr service :80 (spoofed, or a flow this node never saw): dropped, no flow made",
                     tcp_frame(port_mac, client_mac, 40010, 80, ack), DropReason::tcp_no_flow));
    f.push_back(drop("the same ACK again: still no flow (the first made none)",
                     tcp_frame(port_mac, client_mac, 40010, 80, ack | psh, 64, 2), DropReason::tcp_no_flow));
    f.push_back(drop("RST for no flow to the rr service :80: dropped", tcp_frame(port_mac, client_mac, 40011, 80, 0x04),
                     DropReason::tcp_no_flow));
    f.push_back(out("ACK for no flow to the sh service :9005: scheduled, sh gives this client web2 without state",
                    tcp_frame(port_mac, client_mac, 42000, 9005, ack), Verdict::forward,
                    tcp_frame(web2_mac, port_mac, 42000, 9005, ack, 63)));
    f.push_back(drop("RST for no flow to the sh service :9005: dropped (IPVS's sloppy_tcp does not schedule RST either)",
                     tcp_frame(port_mac, client_mac, 42001, 9005, 0x04), DropReason::tcp_no_flow));

    // Martian sources (RFC 1812 §5.3.7) make no flow.
    auto syn_from = [](uint32_t src, uint16_t sport) {
        return eth(port_mac, client_mac, 0x0800, ipv4({.src = src, .dst = vip, .proto = 6}, tcp(src, vip, sport, 80, syn, 1)));
    };
    const std::pair<uint32_t, const char*> martians[] = {
        {ip(0, 0, 0, 0), "0.0.0.0 (0/8)"},
        {ip(127, 0, 0, 1), "127.0.0.1 (loopback)"},
        {ip(224, 0, 0, 5), "224.0.0.5 (multicast)"},
        {ip(255, 255, 255, 255), "255.255.255.255 (limited broadcast)"},
        {vip, "the VIP itself"},
        {vip_backup, "another VIP of the node"},
        {node_ip, "the node's own address"},
    };
    for (const auto& [src, what] : martians) {
        f.push_back(drop(std::string("SYN to :80 from ") + what + ": martian source, no flow", syn_from(src, 40020),
                         DropReason::martian_source));
    }

    // IP options (RFC 791 §3.1): no operation is forwarded as is, source routing and broken options are not.
    f.push_back(out("SYN with IP options (four NOPs): forwarded with them",
                    eth(port_mac, client_mac, 0x0800,
                        ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 6, .options = {1, 1, 1, 1}},
                             tcp(client, vip, 40030, 80, syn, 1))),
                    Verdict::forward,
                    eth(web1_mac, port_mac, 0x0800,
                        ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 63, .ihl = 6, .options = {1, 1, 1, 1}},
                             tcp(client, vip, 40030, 80, syn, 1)))));
    f.push_back(drop("SYN with loose source routing (LSRR via 192.0.2.1): dropped",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 7, .options = {131, 7, 4, 192, 0, 2, 1, 1}},
                              tcp(client, vip, 40031, 80, syn, 1))),
                     DropReason::ip_source_route));
    f.push_back(drop("SYN with strict source routing (SSRR, after a NOP): dropped",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 7, .options = {1, 137, 7, 4, 192, 0, 2, 1}},
                              tcp(client, vip, 40032, 80, syn, 1))),
                     DropReason::ip_source_route));
    f.push_back(drop("SYN with an option longer than the header (timestamp, length 40 in 4 bytes): dropped",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 6, .options = {68, 40, 5, 0}},
                              tcp(client, vip, 40033, 80, syn, 1))),
                     DropReason::ip_bad_options));

    // NAT (IPVS masquerading): DNAT to the real server, replies translated back; checksums patched
    // incrementally and checked here against the builder's computed ones.
    auto to_vip = [](uint32_t src, const Mac& from, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq) {
        return eth(port_mac, from, 0x0800, ipv4({.src = src, .dst = vip, .proto = 6}, tcp(src, vip, sport, dport, flags, seq)));
    };
    auto from_web1 = [](uint32_t dst, uint16_t dport, uint8_t flags, uint32_t seq) {
        return eth(port_mac, web1_mac, 0x0800, ipv4({.src = web1, .dst = dst, .proto = 6}, tcp(web1, dst, 80, dport, flags, seq)));
    };
    f.push_back(to("web1:80 answering the node's own health check (to the node's address): the kernel, not a NAT reply",
                   from_web1(node_ip, 45000, syn | ack, 5000), Verdict::to_exception));
    f.push_back(out("NAT SYN to 10.0.0.100:8080: DNAT to web1:80, TTL−1, IP and TCP checksums patched",
                    to_vip(client, client_mac, 40000, 8080, syn, 1), Verdict::forward,
                    eth(web1_mac, port_mac, 0x0800,
                        ipv4({.src = client, .dst = web1, .proto = 6, .ttl = 63}, tcp(client, web1, 40000, 80, syn, 1)))));
    f.push_back(out("NAT reply SYN-ACK from web1:80: back to VIP:8080, to the client's MAC",
                    from_web1(client, 40000, syn | ack, 7000), Verdict::forward,
                    eth(client_mac, port_mac, 0x0800,
                        ipv4({.src = vip, .dst = client, .proto = 6, .ttl = 63}, tcp(vip, client, 8080, 40000, syn | ack, 7000)))));
    f.push_back(out("NAT SYN to 10.0.0.100:8081, whose real server web1:80 also serves :8080",
                    to_vip(client, client_mac, 40001, 8081, syn, 1), Verdict::forward,
                    eth(web1_mac, port_mac, 0x0800,
                        ipv4({.src = client, .dst = web1, .proto = 6, .ttl = 63}, tcp(client, web1, 40001, 80, syn, 1)))));
    f.push_back(out("its reply: the flow table tells :8081 from :8080", from_web1(client, 40001, syn | ack, 9000),
                    Verdict::forward,
                    eth(client_mac, port_mac, 0x0800,
                        ipv4({.src = vip, .dst = client, .proto = 6, .ttl = 63}, tcp(vip, client, 8081, 40001, syn | ack, 9000)))));
    f.push_back(drop("a reply from web1:80 with no flow: two services could own it, none is guessed",
                     from_web1(client, 40099, ack, 1), DropReason::nat_no_flow));
    f.push_back(drop("a reply from web1:80 for the :8080 flow with TTL 1: not forwarded (the kernel would not either)",
                     eth(port_mac, web1_mac, 0x0800,
                         ipv4({.src = web1, .dst = client, .proto = 6, .ttl = 1}, tcp(web1, client, 80, 40000, ack, 7001))),
                     DropReason::ttl_exceeded));
    {
        const Bytes query{0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        f.push_back(out("NAT UDP to 10.0.0.100:5353: DNAT to web2:53",
                        eth(port_mac, client_mac, 0x0800, ipv4({.src = client, .dst = vip, .proto = 17}, udp(client, vip, 5353, 5353, query))),
                        Verdict::forward,
                        eth(web2_mac, port_mac, 0x0800,
                            ipv4({.src = client, .dst = web2, .proto = 17, .ttl = 63}, udp(client, web2, 5353, 53, query)))));
        Bytes in = eth(port_mac, client_mac, 0x0800, ipv4({.src = client, .dst = vip, .proto = 17}, udp(client, vip, 5354, 5353, query)));
        Bytes o = eth(web2_mac, port_mac, 0x0800, ipv4({.src = client, .dst = web2, .proto = 17, .ttl = 63}, udp(client, web2, 5354, 53, query)));
        in[14 + 20 + 6] = in[14 + 20 + 7] = 0;
        o[14 + 20 + 6] = o[14 + 20 + 7] = 0;
        f.push_back(out("NAT UDP without a checksum (0): stays 0 (RFC 768)", in, Verdict::forward, o));
        f.push_back(out("NAT UDP reply from web2:53 for the flow above: back to VIP:5353",
                        eth(port_mac, web2_mac, 0x0800,
                            ipv4({.src = web2, .dst = client, .proto = 17}, udp(web2, client, 53, 5353, query))),
                        Verdict::forward,
                        eth(client_mac, port_mac, 0x0800,
                            ipv4({.src = vip, .dst = client, .proto = 17, .ttl = 63}, udp(vip, client, 5353, 5353, query)))));
        // Once translated statelessly when the backend served one service: an open translator for
        // anyone who can spoof web2:53. NAT flows across a failover need flow sync (not yet there).
        f.push_back(drop("NAT reply from web2:53 to a client behind the gateway, no flow here (one made on the old "
                         "master before a failover, or spoofed): not translated",
                         eth(port_mac, web2_mac, 0x0800,
                             ipv4({.src = web2, .dst = far_client, .proto = 17}, udp(web2, far_client, 53, 5353, query))),
                         DropReason::nat_no_flow));
    }

    // TUN (IPIP, RFC 2003), as ip_vs_tunnel_xmit: outer source the node's address, DF and TOS copied.
    {
        const Bytes inner_in = ipv4({.src = client, .dst = vip, .proto = 6}, tcp(client, vip, 40000, 82, syn, 1));
        const Bytes inner_out = ipv4({.src = client, .dst = vip, .proto = 6, .ttl = 63}, tcp(client, vip, 40000, 82, syn, 1));
        f.push_back(out("TUN SYN to 10.0.0.100:82: IPIP to web2, outer 10.0.0.2 → 10.0.0.12",
                        eth(port_mac, client_mac, 0x0800, inner_in), Verdict::forward,
                        eth(web2_mac, port_mac, 0x0800,
                            ipv4({.src = node_ip, .dst = web2, .proto = 4, .ttl = 63}, inner_out))));
        const Bytes big = ipv4({.src = client, .dst = vip, .proto = 6}, tcp(client, vip, 40000, 82, ack | psh, 2, Bytes(1460, 0x61)));
        const Bytes quoted(big.begin(), big.begin() + 28);
        f.push_back(out("TUN, 1500-byte packet with DF: ICMP fragmentation needed, MTU 1480, quoting its header",
                        eth(port_mac, client_mac, 0x0800, big), Verdict::reply,
                        eth(client_mac, port_mac, 0x0800,
                            ipv4({.src = node_ip, .dst = client, .proto = 1, .ttl = 64, .id = 0, .frag = 0, .tos = 0xc0},
                                 icmp_frag_needed(1480, quoted)))));
        f.push_back(drop("TUN, 1500-byte packet without DF: not fragmented on the fast path",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = client, .dst = vip, .proto = 6, .frag = 0},
                                  tcp(client, vip, 40000, 82, ack | psh, 3, Bytes(1460, 0x61)))),
                         DropReason::too_big));
        // The ICMP rate limit (the kernel's icmp_msgs_burst 50, icmp_msgs_per_sec 1000): the case above
        // used one token a millisecond ago and it has come back, so a burst of 51 such packets at one
        // instant gets 50 answers (IP ids 1…50: the lcore numbers its ICMP errors) and the 51st none.
        // A millisecond later one token is back: one answer, then none again.
        auto burst = [&](const std::string& what, uint16_t id, uint32_t after_ms) {
            Fixture x = out(what, eth(port_mac, client_mac, 0x0800, big), Verdict::reply,
                            eth(client_mac, port_mac, 0x0800,
                                ipv4({.src = node_ip, .dst = client, .proto = 1, .ttl = 64, .id = id, .frag = 0, .tos = 0xc0},
                                     icmp_frag_needed(1480, quoted))));
            x.after_ms = after_ms;
            return x;
        };
        for (uint16_t i = 1; i <= 50; ++i) {
            f.push_back(burst("ICMP burst, packet " + std::to_string(i) + " of 51 at one instant: answered", i, i == 1 ? 1 : 0));
        }
        Fixture limited = drop("ICMP burst, packet 51 of 51 at one instant: over the rate limit, not answered",
                               eth(port_mac, client_mac, 0x0800, big), DropReason::icmp_rate_limited);
        limited.after_ms = 0;
        f.push_back(limited);
        f.push_back(burst("a millisecond later: one token back, answered", 51, 1));
        limited.description = "at the same instant again: rate limited";
        f.push_back(limited);
    }
    f.push_back(drop("TUN SYN to 10.0.0.100:83, whose real server 198.51.100.9 has no route: dropped",
                     tcp_frame(port_mac, client_mac, 40000, 83, syn), DropReason::no_route));
    f.push_back(drop("SYN to 10.0.0.100:84, every real server quiesced (weight 0): no backend for a new flow",
                     tcp_frame(port_mac, client_mac, 40000, 84, syn), DropReason::no_backend));

    // TTL expiry (IPVS's decrement_ttl(): ICMP time exceeded from the VIP, see process.cc), under the
    // same rate limit as above: each of these is a millisecond after the one before, a token each.
    {
        auto expired = [&](const std::string& what, uint8_t ttl, uint16_t id) {
            const Bytes in = tcp_frame(port_mac, client_mac, 40003, 80, syn, ttl);
            const Bytes quoted(in.begin() + 14, in.begin() + 14 + 28);
            return out(what, in, Verdict::reply,
                       eth(client_mac, port_mac, 0x0800,
                           ipv4({.src = vip, .dst = client, .proto = 1, .ttl = 64, .id = id, .frag = 0, .tos = 0xc0},
                                icmp_time_exceeded(quoted))));
        };
        f.push_back(expired("TTL 1 to a DR service: ICMP time exceeded from the VIP, quoting the header (frame grows)", 1, 52));
        f.push_back(expired("TTL 0 to a DR service: ICMP time exceeded", 0, 53));
        f.push_back(drop("TTL 1 from 127.0.0.1: a martian source gets no ICMP",
                         eth(port_mac, client_mac, 0x0800,
                             ipv4({.src = ip(127, 0, 0, 1), .dst = vip, .proto = 6, .ttl = 1},
                                  tcp(ip(127, 0, 0, 1), vip, 40003, 80, syn, 1))),
                         DropReason::martian_source));
    }

    // Neighbours: an unknown next hop gets an ARP request (the packet is lost, as through a router).
    f.push_back(out("DR to a backend whose MAC is unknown: the frame becomes an ARP request for it",
                    tcp_frame(port_mac, client_mac, 40000, 81, syn), Verdict::solicit,
                    eth(bcast, port_mac, 0x0806, arp(1, port_mac, node_ip, zero, web3))));
    f.push_back(drop("again within a second: no second request, dropped",
                     tcp_frame(port_mac, client_mac, 40001, 81, syn), DropReason::backend_unresolved));

    // Persistence (persistence_timeout): a client's new connection goes where its last one went.
    f.push_back(out("persistent service: first connection, rr gives web1", tcp_frame(port_mac, client_mac, 40000, 8443, syn),
                    Verdict::forward, tcp_frame(web1_mac, port_mac, 40000, 8443, syn, 63)));
    f.push_back(out("second connection from the same client: web1 again (rr alone would give web2)",
                    tcp_frame(port_mac, client_mac, 40001, 8443, syn), Verdict::forward,
                    tcp_frame(web1_mac, port_mac, 40001, 8443, syn, 63)));

    // Every scheduler's first choice between web1 (weight 1) and web2 (weight 3), IPVS's rules.
    const std::tuple<uint16_t, const char*, Mac> firsts[] = {
        {9001, "wrr: the heaviest first (IPVS's interleaving starts at the maximum weight)", web2_mac},
        {9002, "fo: the heaviest available", web2_mac},
        {9003, "lc: no connections anywhere, the first in order", web1_mac},
        {9004, "wlc: no connections, overheads tie at 0, the first in order", web1_mac},
        // sh, derived by hand as IPVS computes it: ip_vs_sh_hashkey() is hash_32(10.0.0.50, 8) =
        // (0x0a000032 · 0x61C88647 mod 2^32) >> 24 = bucket 223; ip_vs_sh_reassign() deals the 256
        // buckets {web1, web2, web2, web2} over and over (each server `weight` buckets in a row), so
        // bucket 223 (223 mod 4 = 3) is web2's.
        {9005, "sh: the client address's bucket 223, web2's (derived; the XDP program must agree)", web2_mac},
        // mh is a self-pin: the Maglev table built from vipd's own hash of the backends' keys, with no
        // outside reference for the entry (sched_test checks the permutation against the paper's rule).
        {9006, "mh: the flow's Maglev entry (a self-pin: the XDP program and the other node must agree)", web2_mac},
        {9007, "sed: (active + 1) / weight, the heaviest wins at 0", web2_mac},
        {9008, "nq: an idle server first, in order", web1_mac},
        {9009, "ovf: the heaviest whose active flows do not exceed its weight", web2_mac},
    };
    for (const auto& [port, what, mac] : firsts) {
        f.push_back(out(what, tcp_frame(port_mac, client_mac, 41000, port, syn), Verdict::forward,
                        tcp_frame(mac, port_mac, 41000, port, syn, 63)));
    }

    // To the kernel.
    f.push_back(to("TCP to a VIP port with no virtual service: the kernel answers (RST)",
                   tcp_frame(port_mac, client_mac, 40000, 443, syn), Verdict::to_exception));
    f.push_back(to("ICMP echo to the VIP: the kernel answers",
                   eth(port_mac, client_mac, 0x0800,
                       ipv4({.src = client, .dst = vip, .proto = 1}, Bytes{8, 0, 0xf7, 0xff, 0, 0, 0, 0})),
                   Verdict::to_exception));
    f.push_back(to("TCP to the node's own address: the kernel",
                   eth(port_mac, client_mac, 0x0800,
                       ipv4({.src = client, .dst = node_ip, .proto = 6}, tcp(client, node_ip, 40000, 22, syn, 1))),
                   Verdict::to_exception));
    f.push_back(to("IPv6 frame: the kernel", eth(port_mac, client_mac, 0x86dd, Bytes(40, 0)), Verdict::to_exception));
    f.push_back(to("LLDP frame: the kernel", eth({0x01, 0x80, 0xc2, 0, 0, 0x0e}, client_mac, 0x88cc, Bytes(46, 0)),
                   Verdict::to_exception));

    // VRRP (RFC 5798 §5): the control thread validates and runs the FSM.
    f.push_back(to("VRRP advert from the peer: to control",
                   eth(vrrp_mcast, peer_mac, 0x0800,
                       ipv4({.src = peer_ip, .dst = ip(224, 0, 0, 18), .proto = 112, .ttl = 255},
                            Bytes{0x21, 51, 100, 1, 0, 1, 0, 0, 10, 0, 0, 100})),
                   Verdict::to_control));

    // Malformed IPv4 (RFC 791 §3.1, RFC 1122 §3.2.1.2).
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p[14 + 10] ^= 0x01;
        f.push_back(drop("bad IPv4 header checksum", p, DropReason::ip_bad_checksum));
    }
    f.push_back(drop("Ethernet header cut short (10 bytes)", Bytes(10, 0xab), DropReason::eth_truncated));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p.resize(14 + 19);
        f.push_back(drop("IPv4 header cut short", p, DropReason::ip_truncated));
    }
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        p.resize(p.size() - 4);
        f.push_back(drop("frame shorter than the IPv4 total length", p, DropReason::ip_truncated));
    }
    f.push_back(drop("TCP header cut short (total length covers 12 bytes of it)",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6}, Bytes{0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0})),
                     DropReason::l4_truncated));
    f.push_back(drop("IPv4 version field 6", eth(port_mac, client_mac, 0x0800,
                                                 ipv4({.src = client, .dst = vip, .proto = 6, .version = 6},
                                                      tcp(client, vip, 40005, 80, syn, 1))),
                     DropReason::ip_bad_version));
    f.push_back(drop("IPv4 IHL 4", eth(port_mac, client_mac, 0x0800,
                                       ipv4({.src = client, .dst = vip, .proto = 6, .ihl = 4},
                                            tcp(client, vip, 40005, 80, syn, 1))),
                     DropReason::ip_bad_ihl));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40005, 80, syn);
        // total length 16 < IHL×4 = 20; fix the checksum so only the length is wrong.
        p[14 + 2] = 0;
        p[14 + 3] = 16;
        p[14 + 10] = 0;
        p[14 + 11] = 0;
        uint32_t s = 0;
        for (size_t i = 14; i < 34; i += 2) {
            s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        }
        while ((s >> 16) != 0) {
            s = (s & 0xffff) + (s >> 16);
        }
        p[14 + 10] = static_cast<uint8_t>(~s >> 8);
        p[14 + 11] = static_cast<uint8_t>(~s);
        f.push_back(drop("IPv4 total length shorter than its header", p, DropReason::ip_bad_length));
    }
    f.push_back(drop("first fragment (MF) to a DR service",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6, .frag = 0x2000}, tcp(client, vip, 40006, 80, syn, 1))),
                     DropReason::ip_fragment));
    f.push_back(drop("non-first fragment (offset 185) to a DR service",
                     eth(port_mac, client_mac, 0x0800,
                         ipv4({.src = client, .dst = vip, .proto = 6, .frag = 185}, Bytes(16, 0x55))),
                     DropReason::ip_fragment));
    return f;
}

}  // namespace golden
