// After taking over a VIP the new master must tell the LAN that the VIP now lives at its MAC, or
// neighbours keep sending to the old master until their ARP or neighbour entries expire; this file
// builds those announcements frame for frame as keepalived does, for kernel mode's packet socket
// (control/kernel/garp.h) and for the dataplanes, which send the same frames.
//
// IPv4: a gratuitous ARP, as keepalived's vrrp_arp.c builds it (42 bytes, no padding: the NIC pads):
//   Ethernet  dst ff:ff:ff:ff:ff:ff, src = interface MAC, type 0x0806
//   ARP       htype 1, ptype 0x0800, hlen 6, plen 4, op 1 (REQUEST),
//             sender MAC = interface MAC, sender IP = VIP,
//             target MAC = ff:ff:ff:ff:ff:ff, target IP = VIP
// IPv6: an unsolicited Neighbour Advertisement (RFC 4861 §4.4, 7.2.6), as keepalived's vrrp_ndisc.c
// builds it (86 bytes):
//   Ethernet  dst 33:33:00:00:00:01, src = interface MAC, type 0x86dd
//   IPv6      traffic class 0, flow 0, payload 32, next header 58, hop limit 255, src = VIP, dst ff02::1
//   ICMPv6    type 136, code 0, flags R (when the interface forwards IPv6) and O (override), target = VIP,
//             option 2 (target link-layer address), length 1, interface MAC
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wire {

inline constexpr size_t max_announcement_len = 86;

/// Builds the announcement above for the address `addr` (4 bytes for AF_INET, 16 for AF_INET6,
/// network order) from `mac` into `out`: a gratuitous ARP (IPv4, 42 bytes) or an unsolicited
/// Neighbour Advertisement (IPv6, 86 bytes; `router` sets its R flag). Returns the length, 0 for
/// another family.
size_t announcement_frame(const std::array<uint8_t, 6>& mac, int family, const uint8_t* addr, bool router,
                          std::array<uint8_t, max_announcement_len>& out);

}  // namespace wire
