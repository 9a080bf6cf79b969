// Gratuitous ARP and unsolicited Neighbour Advertisement frames, built byte by byte.
#include "dataplane/wire/announce.h"

#include "dataplane/wire/checksum.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace wire {
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
uint16_t icmp6_checksum(const uint8_t* src, const uint8_t* dst, const uint8_t* msg, size_t len)
{
    uint32_t sum = csum_add(0, src, 16);
    sum = csum_add(sum, dst, 16);
    sum += static_cast<uint32_t>(len);
    sum += 58;  // next header: ICMPv6
    return static_cast<uint16_t>(~csum_fold(csum_add(sum, msg, len)));
}

}  // namespace

size_t announcement_frame(const std::array<uint8_t, 6>& mac, int family, const uint8_t* addr, bool router,
                          std::array<uint8_t, max_announcement_len>& out)
{
    std::array<uint8_t, max_announcement_len>& f = out;
    std::fill(f.begin(), f.end(), uint8_t{0});
    size_t len = 0;
    if (family == AF_INET) {
        std::memset(&f[0], 0xff, 6);                   // broadcast destination
        std::memcpy(&f[6], mac.data(), 6);
        put16(&f[12], 0x0806);
        uint8_t* arp = &f[eth_len];                    // RFC 826
        put16(&arp[0], 1);                             // hardware: Ethernet
        put16(&arp[2], 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        put16(&arp[6], 1);                             // REQUEST, as keepalived sends it
        std::memcpy(&arp[8], mac.data(), 6);          // sender MAC
        std::memcpy(&arp[14], addr, 4);    // sender IP
        std::memset(&arp[18], 0xff, 6);                // target MAC: keepalived writes broadcast here
        std::memcpy(&arp[24], addr, 4);    // target IP
        len = arp_frame_len;
    } else if (family == AF_INET6) {
        // RFC 2464 §7: ff02::1 maps to 33:33:00:00:00:01.
        const uint8_t dst_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
        std::memcpy(&f[0], dst_mac, 6);
        std::memcpy(&f[6], mac.data(), 6);
        put16(&f[12], 0x86dd);
        uint8_t* ip6 = &f[eth_len];
        ip6[0] = 0x60;                                 // version 6, traffic class and flow label 0
        put16(&ip6[4], na_len);
        ip6[6] = 58;                                   // ICMPv6
        ip6[7] = 255;                                  // RFC 4861 §7.1.2: receivers drop NDs with another hop limit
        std::memcpy(&ip6[8], addr, 16);
        ip6[24] = 0xff;                                // ff02::1, all nodes
        ip6[25] = 0x02;
        ip6[39] = 0x01;
        uint8_t* na = &ip6[ip6_len];                   // RFC 4861 §4.4
        na[0] = 136;
        na[4] = static_cast<uint8_t>((router ? 0x80 : 0) | 0x20);  // R, O; never S: unsolicited
        std::memcpy(&na[8], addr, 16);
        na[24] = 2;                                    // target link-layer address option
        na[25] = 1;                                    // in units of 8 bytes
        std::memcpy(&na[26], mac.data(), 6);
        put16(&na[2], icmp6_checksum(&ip6[8], &ip6[24], na, na_len));
        len = na_frame_len;
    } else {
        return 0;
    }
    return len;
}

}  // namespace wire
