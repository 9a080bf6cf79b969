// ARP (RFC 826): the node answers for the addresses it owns (its port's and the VIPs it is MASTER
// for), passes replies and gratuitous ARPs to control (which learns neighbours from them), and
// drops what it must not answer.
#include "tests/golden/fixtures.h"
#include "tests/golden/frames.h"

namespace golden {

std::vector<Fixture> arp_fixtures()
{
    using namespace frames;
    std::vector<Fixture> f;
    // Who-has from the client: answered, from the port's MAC, for what the node owns (its port's
    // address, the VIPs it is MASTER for); Reason::none below means answered.
    struct WhoHas {
        const char* name;
        const char* what;
        uint32_t target;
        Reason refused;
    };
    const WhoHas who_has[] = {
        {"arp_who_has_owned_vip", "ARP who-has owned VIP 10.0.0.100: reply with the port's MAC", vip, Reason::none},
        {"arp_who_has_node", "ARP who-has the node's own IP: reply", node_ip, Reason::none},
        {"arp_who_has_backup_vip", "ARP who-has a VIP this node does not own (VRRP backup): no reply", vip_backup,
         Reason::arp_vip_not_owned},
        {"arp_who_has_stranger", "ARP who-has an address that is neither ours nor a VIP: no reply", ip(10, 0, 0, 77),
         Reason::arp_not_ours},
    };
    for (const WhoHas& w : who_has) {
        const Bytes request = arp_who_has(client_mac, client, w.target);
        f.push_back(one(w.name, w.refused == Reason::none
                                    ? out(w.what, request, Verdict::reply, arp_is_at(port_mac, w.target, client_mac, client))
                                    : drop(w.what, request, w.refused)));
    }
    f.push_back(one("arp_who_has_node_secondary",
                    pass("ARP who-has a secondary address of the node (a NAT gateway kept as a static address): "
                         "the kernel answers it by its own rules",
                         arp_who_has(client_mac, client, node_ip2), Handover::kernel)));
    f.push_back(one("arp_reply_from_backend",
                    pass("ARP reply from a backend: to control, which learns the neighbour (and tells the kernel)",
                         arp_is_at(web1_mac, web1, port_mac, node_ip), Handover::control)));
    f.push_back(one("arp_gratuitous_from_peer",
                    pass("gratuitous ARP from the peer for the VIP: to control (a conflict, or a neighbour's new MAC)",
                         arp_who_has(peer_mac, vip, vip), Handover::control)));
    {
        Bytes a = arp_who_has(client_mac, client, vip);
        a.resize(14 + 27);
        f.push_back(one("arp_truncated", drop("ARP cut one byte short", a, Reason::arp_truncated)));
    }
    f.push_back(one("arp_broadcast_sender",
                    drop("ARP who-has the VIP from a broadcast sender MAC: no reply (it would be broadcast), nothing learnt",
                         eth(bcast, client_mac, 0x0806, arp(1, bcast, client, zero_mac, vip)), Reason::arp_bad_sender)));
    f.push_back(one("arp_multicast_sender",
                    drop("gratuitous ARP with a multicast sender MAC: not passed on for learning",
                         eth(bcast, client_mac, 0x0806, arp(1, vrrp_mcast, web1, zero_mac, web1)), Reason::arp_bad_sender)));
    {
        Bytes a = arp_who_has(client_mac, client, vip);
        a[14 + 1] = 6;  // hardware type 6 (IEEE 802), not Ethernet (1): RFC 826 says drop it
        f.push_back(one("arp_hardware_type_6",
                        drop("ARP with hardware type 6: not Ethernet/IPv4, no reply", a, Reason::arp_unsupported)));
    }
    return f;
}

}  // namespace golden
