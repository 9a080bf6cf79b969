// Gratuitous ARP and unsolicited Neighbour Advertisement frames, built byte by byte and sent on an AF_PACKET socket.
#include "control/kernel/garp.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <span>
#include <utility>

namespace kernel {

namespace {

constexpr size_t eth_len = 14;
constexpr size_t arp_frame_len = eth_len + 28;
constexpr size_t ip6_len = 40;
constexpr size_t na_len = 24 + 8;  // ICMPv6 NA header + target link-layer address option
constexpr size_t na_frame_len = eth_len + ip6_len + na_len;
static_assert(arp_frame_len == 42 && na_frame_len == 86 && na_frame_len == max_announcement_len);

void put16(uint8_t* p, uint16_t v)
{
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

// RFC 4443 §2.3: the ones' complement sum over the pseudo-header (RFC 8200 §8.1) and the ICMPv6 message.
uint16_t icmp6_checksum(const uint8_t* src, const uint8_t* dst, std::span<const uint8_t> msg)
{
    uint32_t sum = 0;
    auto add = [&](const uint8_t* p, size_t n) {
        for (size_t i = 0; i + 1 < n; i += 2) {
            sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
        }
        if (n & 1) {
            sum += static_cast<uint32_t>(p[n - 1] << 8);
        }
    };
    add(src, 16);
    add(dst, 16);
    sum += static_cast<uint32_t>(msg.size());
    sum += 58;  // next header: ICMPv6
    add(msg.data(), msg.size());
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

// keepalived sets the Router flag when the interface forwards IPv6, so neighbours keep it as a router.
bool ipv6_forwarding(const std::string& ifname)
{
    std::ifstream f("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding");
    int v = 0;
    return (f >> v) && v != 0;
}

} // namespace

std::optional<Garp> Garp::open(const Link& link)
{
    // Protocol 0: the socket only sends, so no frame is ever queued on it for reading.
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::nullopt;
    }
    return Garp(fd, link);
}

Garp::~Garp()
{
    if (_fd >= 0) {
        ::close(_fd);
    }
}

Garp::Garp(Garp&& o) noexcept
    : _fd(std::exchange(o._fd, -1)), _ifindex(o._ifindex), _ifname(std::move(o._ifname)), _mac(o._mac)
{
}

Garp& Garp::operator=(Garp&& o) noexcept
{
    if (this != &o) {
        if (_fd >= 0) {
            ::close(_fd);
        }
        _fd = std::exchange(o._fd, -1);
        _ifindex = o._ifindex;
        _ifname = std::move(o._ifname);
        _mac = o._mac;
    }
    return *this;
}

size_t announcement_frame(const std::array<uint8_t, 6>& mac, const conf::Ip& vip, bool router,
                          std::array<uint8_t, max_announcement_len>& out)
{
    std::array<uint8_t, max_announcement_len>& f = out;
    std::fill(f.begin(), f.end(), uint8_t{0});
    size_t len = 0;
    if (vip.family == AF_INET) {
        std::memset(&f[0], 0xff, 6);                   // broadcast destination
        std::memcpy(&f[6], mac.data(), 6);
        put16(&f[12], ETHERTYPE_ARP);
        uint8_t* arp = &f[eth_len];                    // RFC 826
        put16(&arp[0], 1);                             // hardware: Ethernet
        put16(&arp[2], ETHERTYPE_IP);
        arp[4] = 6;
        arp[5] = 4;
        put16(&arp[6], 1);                             // REQUEST, as keepalived sends it
        std::memcpy(&arp[8], mac.data(), 6);          // sender MAC
        std::memcpy(&arp[14], vip.bytes.data(), 4);    // sender IP
        std::memset(&arp[18], 0xff, 6);                // target MAC: keepalived writes broadcast here
        std::memcpy(&arp[24], vip.bytes.data(), 4);    // target IP
        len = arp_frame_len;
    } else if (vip.family == AF_INET6) {
        // RFC 2464 §7: ff02::1 maps to 33:33:00:00:00:01.
        const uint8_t dst_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        std::memcpy(&f[0], dst_mac, 6);
        std::memcpy(&f[6], mac.data(), 6);
        put16(&f[12], ETHERTYPE_IPV6);
        uint8_t* ip6 = &f[eth_len];
        ip6[0] = 0x60;                                 // version 6, traffic class and flow label 0
        put16(&ip6[4], na_len);
        ip6[6] = 58;                                   // ICMPv6
        ip6[7] = 255;                                  // RFC 4861 §7.1.2: receivers drop NDs with another hop limit
        std::memcpy(&ip6[8], vip.bytes.data(), 16);
        ip6[24] = 0xff;                                // ff02::1, all nodes
        ip6[25] = 0x02;
        ip6[39] = 0x01;
        uint8_t* na = &ip6[ip6_len];                   // RFC 4861 §4.4
        na[0] = 136;
        na[4] = static_cast<uint8_t>((router ? 0x80 : 0) | 0x20);  // R, O; never S: unsolicited
        std::memcpy(&na[8], vip.bytes.data(), 16);
        na[24] = 2;                                    // target link-layer address option
        na[25] = 1;                                    // in units of 8 bytes
        std::memcpy(&na[26], mac.data(), 6);
        put16(&na[2], icmp6_checksum(&ip6[8], &ip6[24], {na, na_len}));
        len = na_frame_len;
    } else {
        return 0;
    }
    return len;

}

std::error_code Garp::send(const conf::Ip& vip)
{
    std::array<uint8_t, max_announcement_len> f{};
    const size_t len = announcement_frame(_mac, vip, vip.family == AF_INET6 && ipv6_forwarding(_ifname), f);
    if (len == 0) {
        return std::make_error_code(std::errc::address_family_not_supported);
    }

    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = _ifindex;
    sll.sll_halen = 6;
    std::memcpy(sll.sll_addr, f.data(), 6);
    const ssize_t n = ::sendto(_fd, f.data(), len, 0, reinterpret_cast<const sockaddr*>(&sll), sizeof(sll));
    if (n < 0) {
        return {errno, std::generic_category()};
    }
    if (static_cast<size_t>(n) != len) {
        return std::make_error_code(std::errc::message_size);
    }
    return {};
}

} // namespace kernel
