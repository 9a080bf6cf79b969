// Gratuitous ARP and unsolicited Neighbour Advertisement frames, built byte by byte and sent on an AF_PACKET socket.
#include "control/kernel/garp.h"

#include "dataplane/wire/announce.h"

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

std::error_code Garp::send(const conf::Ip& vip)
{
    std::array<uint8_t, wire::max_announcement_len> f{};
    const size_t len = wire::announcement_frame(_mac, vip.family, vip.bytes.data(), vip.family == AF_INET6 && ipv6_forwarding(_ifname), f);
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
