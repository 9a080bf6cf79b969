// The DPDK node: the frames control sends on the wire (VRRP adverts, gratuitous ARPs, ARP requests).
#include "dataplane/dpdk/control/node.h"

namespace node {

// An ARP request from the node's address for `ip` (network order), as the kernel would send it.
void DpdkNode::solicit(const Held& h, uint32_t ip)
{
    uint8_t f[wire::arp_request_len];
    wire::write_arp_request(f, h.mac.data(), h.addrs.empty() ? 0 : fwd::ipv4_of(h.addrs.front().first), ip);
    if (rte_mbuf* m = frame(h, f, sizeof f)) {
        enqueue(m);
    }
}

bool DpdkNode::send_vrrp(const std::string& ifname, std::span<const uint8_t> packet, const conf::Ip& dst)
{
    const Held* h = find(ifname);
    if (h == nullptr || !dst.is_v4() || packet.size() > 1500) {
        return false;
    }
    std::array<uint8_t, 14 + 1500> f{};
    if (dst.bytes[0] >= 224 && dst.bytes[0] <= 239) {
        // RFC 1112 §6.4: 01:00:5e and the group's low 23 bits.
        const uint8_t mc[6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>(dst.bytes[1] & 0x7f), dst.bytes[2], dst.bytes[3]};
        std::memcpy(f.data(), mc, 6);
    } else if (const Mac* mac = _neighbours.find(fwd::ipv4_of(dst))) {
        std::memcpy(f.data(), mac->data(), 6);
    } else {
        // A unicast peer not resolved yet: ask, and send this advert to the broadcast MAC meanwhile
        // (the peer's IP layer takes it: the destination address is its own).
        _neighbours.want(fwd::ipv4_of(dst));
        solicit(*h, fwd::ipv4_of(dst));
        std::memset(f.data(), 0xff, 6);
    }
    std::memcpy(f.data() + 6, h->mac.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    std::memcpy(f.data() + 14, packet.data(), packet.size());
    rte_mbuf* m = frame(*h, f.data(), 14 + packet.size());
    if (m == nullptr || !enqueue(m)) {
        return false;
    }
    ++_vrrp_out;
    return true;
}

bool DpdkNode::send_garp(const std::string& ifname, const conf::Ip& vip)
{
    const Held* h = find(ifname);
    if (h == nullptr) {
        return false;
    }
    std::array<uint8_t, wire::max_announcement_len> f{};
    const size_t len = wire::announcement_frame(h->mac, vip.family, vip.bytes.data(), false, f);
    rte_mbuf* m = len != 0 ? frame(*h, f.data(), len) : nullptr;
    if (m == nullptr || !enqueue(m)) {
        return false;
    }
    ++_garp_out;
    return true;
}

}  // namespace node
