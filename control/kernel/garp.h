// After taking over a VIP the new master must tell the LAN that the VIP now lives at its MAC: kernel
// mode sends the announcements (dataplane/wire/announce.h: keepalived's frames) on a packet socket.
#pragma once

#include "conf/model.h"
#include "control/kernel/netlink.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

namespace kernel {

// A send-only AF_PACKET socket for one interface. Movable, not copyable.
class Garp {
public:
    /// Opens the socket for link; nullopt when the kernel refuses (not root, no CAP_NET_RAW).
    static std::optional<Garp> open(const Link& link);
    ~Garp();
    Garp(Garp&& o) noexcept;
    Garp& operator=(Garp&& o) noexcept;
    Garp(const Garp&) = delete;
    Garp& operator=(const Garp&) = delete;

    /// Sends one gratuitous ARP (IPv4) or unsolicited Neighbour Advertisement (IPv6) for vip.
    std::error_code send(const conf::Ip& vip);

private:
    Garp(int fd, const Link& link) : _fd(fd), _ifindex(link.index), _ifname(link.name), _mac(link.mac) {}

    int _fd = -1;
    int _ifindex = 0;
    std::string _ifname;
    std::array<uint8_t, 6> _mac{};
};

} // namespace kernel
