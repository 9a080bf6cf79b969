// The golden fixtures and the configuration they run against.
//
// The configuration, as keepalived.conf:
//   vrrp_instance VI_1 { interface eth0  virtual_router_id 51  virtual_ipaddress { 10.0.0.100 } }  # MASTER
//   vrrp_instance VI_2 { interface eth0  virtual_router_id 52  virtual_ipaddress { 10.0.0.101 } }  # BACKUP
//   virtual_server 10.0.0.100 80   { lb_algo rr  lb_kind DR  protocol TCP
//                                    real_server 10.0.0.11 80 {}  real_server 10.0.0.12 80 {} }
//   virtual_server 10.0.0.100 53   { lb_algo rr  lb_kind DR  protocol UDP  real_server 10.0.0.11 53 {} }
//   virtual_server 10.0.0.100 8080 { lb_algo rr  lb_kind NAT protocol TCP  real_server 10.0.0.11 8080 {} }
//   virtual_server 10.0.0.100 81   { lb_algo rr  lb_kind DR  protocol TCP  real_server 10.0.0.13 81 {} }  # MAC unknown
#include "tests/golden/fixtures.h"

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

constexpr uint32_t node_ip = ip(10, 0, 0, 2);
constexpr uint32_t peer_ip = ip(10, 0, 0, 3);
constexpr uint32_t client = ip(10, 0, 0, 50);
constexpr uint32_t vip = ip(10, 0, 0, 100);
constexpr uint32_t vip_backup = ip(10, 0, 0, 101);
constexpr uint32_t web1 = ip(10, 0, 0, 11);
constexpr uint32_t web2 = ip(10, 0, 0, 12);
constexpr uint32_t web3 = ip(10, 0, 0, 13);

constexpr uint8_t syn = 0x02;
constexpr uint8_t ack = 0x10;
constexpr uint8_t psh = 0x08;

conf::Ip cip(uint32_t host)
{
    conf::Ip a;
    a.family = 2;  // AF_INET
    a.bytes[0] = static_cast<uint8_t>(host >> 24);
    a.bytes[1] = static_cast<uint8_t>(host >> 16);
    a.bytes[2] = static_cast<uint8_t>(host >> 8);
    a.bytes[3] = static_cast<uint8_t>(host);
    return a;
}

conf::VirtualServer vs(uint16_t port, conf::Protocol proto, conf::LbKind kind, std::vector<uint32_t> reals)
{
    conf::VirtualServer v;
    v.addr = cip(vip);
    v.port = port;
    v.algo = conf::LbAlgo::rr;
    v.algo_set = true;
    v.kind = kind;
    v.kind_set = true;
    v.protocol = proto;
    v.protocol_set = true;
    for (uint32_t r : reals) {
        conf::RealServer rs;
        rs.addr = cip(r);
        rs.port = port;
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
    return {.description = std::move(d), .input = std::move(in), .verdict = Verdict::drop, .reason = r, .output = {}};
}
Fixture to(std::string d, Bytes in, Verdict v)
{
    return {.description = std::move(d), .input = std::move(in), .verdict = v, .reason = DropReason::none, .output = {}};
}
Fixture out(std::string d, Bytes in, Verdict v, Bytes o)
{
    return {.description = std::move(d), .input = std::move(in), .verdict = v, .reason = DropReason::none,
            .output = std::move(o)};
}

}  // namespace

Node node()
{
    return {.port_mac = port_mac,
            .port_ip = node_ip,
            .owned = {vip},
            .neighbours = {{web1, web1_mac}, {web2, web2_mac}}};
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
    c.virtual_servers.push_back(vs(80, conf::Protocol::tcp, conf::LbKind::dr, {web1, web2}));
    c.virtual_servers.push_back(vs(53, conf::Protocol::udp, conf::LbKind::dr, {web1}));
    c.virtual_servers.push_back(vs(8080, conf::Protocol::tcp, conf::LbKind::nat, {web1}));
    c.virtual_servers.push_back(vs(81, conf::Protocol::tcp, conf::LbKind::dr, {web3}));
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
    f.push_back(to("ARP reply from a backend: to the kernel, which learns the neighbour",
                   eth(port_mac, web1_mac, 0x0806, arp(2, web1_mac, web1, port_mac, node_ip)), Verdict::to_exception));
    f.push_back(to("gratuitous ARP from the peer for the VIP: to the kernel (conflict)",
                   eth(bcast, peer_mac, 0x0806, arp(1, peer_mac, vip, zero, vip)), Verdict::to_exception));
    {
        Bytes a = eth(bcast, client_mac, 0x0806, arp(1, client_mac, client, zero, vip));
        a.resize(14 + 27);
        f.push_back(drop("ARP cut one byte short", a, DropReason::arp_truncated));
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
    f.push_back(drop("TTL 1 to a DR service: dropped as IPVS's decrement_ttl() does",
                     tcp_frame(port_mac, client_mac, 40003, 80, syn, 1), DropReason::ttl_exceeded));
    f.push_back(drop("TTL 0 to a DR service: dropped", tcp_frame(port_mac, client_mac, 40003, 80, syn, 0),
                     DropReason::ttl_exceeded));
    {
        Bytes p = tcp_frame(port_mac, client_mac, 40004, 80, syn);
        p.resize(p.size() + 6, 0);  // Ethernet padding past the IP total length is kept as is
        Bytes o = tcp_frame(web2_mac, port_mac, 40004, 80, syn, 63);
        o.resize(o.size() + 6, 0);
        f.push_back(out("frame padded past the IP total length: forwarded with its padding", p, Verdict::forward, o));
    }

    // Services that exist but cannot be served (yet).
    f.push_back(drop("TCP to a NAT service: not implemented yet", tcp_frame(port_mac, client_mac, 40000, 8080, syn),
                     DropReason::kind_unsupported));
    f.push_back(drop("TCP to a DR service whose backend MAC is unknown",
                     tcp_frame(port_mac, client_mac, 40000, 81, syn), DropReason::backend_unresolved));

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
