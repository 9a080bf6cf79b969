// VRRP I/O: raw sockets (or the dataplane, where it holds the interface), rtnetlink addresses,
// gratuitous ARP.
#include "control/kernel/vrrp_io.h"

#include "control/log.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kernel {

namespace {
constexpr int ipproto_vrrp = 112;

in_addr to_in(const conf::Ip& ip)
{
    in_addr a{};
    std::memcpy(&a, ip.bytes.data(), 4);
    return a;
}
} // namespace

std::optional<VrrpSocket> VrrpSocket::open(const Link& link, const conf::Ip& group, std::string& error)
{
    int fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ipproto_vrrp);
    if (fd < 0) {
        error = fmt::format("cannot open a raw VRRP socket: {}", std::strerror(errno));
        return std::nullopt;
    }
    VrrpSocket s(fd, link);
    const int on = 1;
    const int off = 0;
    const int ttl = 255;
    ip_mreqn mreq{};
    mreq.imr_multiaddr = to_in(group);
    mreq.imr_ifindex = link.index;
    ip_mreqn mif{};
    mif.imr_ifindex = link.index;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, link.name.c_str(), static_cast<socklen_t>(link.name.size())) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof on) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof mif) != 0 ||
        ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
        error = fmt::format("cannot set up the VRRP socket on {}: {}", link.name, std::strerror(errno));
        return std::nullopt;
    }
    return s;
}

VrrpSocket::~VrrpSocket()
{
    if (_fd >= 0) {
        ::close(_fd);
    }
}

bool VrrpSocket::send(std::span<const uint8_t> packet, const conf::Ip& dst)
{
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr = to_in(dst);
    return ::sendto(_fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) ==
           static_cast<ssize_t>(packet.size());
}

size_t VrrpSocket::receive(std::span<uint8_t> buf)
{
    ssize_t n = ::recv(_fd, buf.data(), buf.size(), MSG_DONTWAIT);
    return n > 0 ? static_cast<size_t>(n) : 0;
}

VrrpIo::VrrpIo(const conf::Config& cfg, Netlink& nl, control::Dataplane& dp, NotifyFn notify, std::function<void()> owned_changed)
    : _cfg(cfg), _nl(nl), _dp(dp), _notify(std::move(notify)), _owned_changed(std::move(owned_changed))
{
}

bool VrrpIo::open(std::string& error)
{
    for (const auto& vi : _cfg.instances) {
        if (socket_for(vi.interface) != nullptr || held(vi.interface)) {
            continue;
        }
        auto link = _nl.link(vi.interface);
        if (!link) {
            continue;  // dynamic_interfaces (the daemon refuses the config otherwise): FAULT until it appears
        }
        if (!open_link(*link, error)) {
            return false;
        }
    }
    return true;
}

bool VrrpIo::open_link(const Link& link, std::string& error)
{
    _sockets.erase(link.name);
    _garps.erase(link.name);
    auto s = VrrpSocket::open(link, _cfg.global.vrrp_mcast_group4, error);
    if (!s) {
        return false;
    }
    _sockets.emplace(link.name, std::move(*s));
    return true;
}

void VrrpIo::close_link(const std::string& ifname)
{
    _sockets.erase(ifname);
    _garps.erase(ifname);
}

VrrpSocket* VrrpIo::socket_for(const std::string& ifname)
{
    auto it = _sockets.find(ifname);
    return it == _sockets.end() ? nullptr : &it->second;
}

int VrrpIo::ifindex_of(const std::string& ifname)
{
    if (auto* s = socket_for(ifname)) {
        return s->link().index;
    }
    auto link = _nl.link(_dp.kernel_name(ifname));
    return link ? link->index : 0;
}

int VrrpIo::vip_ifindex_of(const std::string& ifname)
{
    const std::string home = _dp.vip_name(ifname);
    if (home == ifname) {
        return ifindex_of(ifname);
    }
    auto link = _nl.link(home);
    return link ? link->index : 0;
}

Garp* VrrpIo::garp_for(const std::string& ifname)
{
    if (auto it = _garps.find(ifname); it != _garps.end()) {
        return &it->second;
    }
    auto link = _nl.link(ifname);
    if (!link) {
        return nullptr;
    }
    auto g = Garp::open(*link);
    if (!g) {
        return nullptr;
    }
    return &_garps.emplace(ifname, std::move(*g)).first->second;
}

conf::Ip VrrpIo::primary_of(const conf::VrrpInstance& vi)
{
    if (vi.unicast_src_ip) {
        return *vi.unicast_src_ip;
    }
    if (vi.mcast_src_ip) {
        return *vi.mcast_src_ip;
    }
    if (auto p = _nl.primary_ipv4(ifindex_of(vi.interface))) {
        return *p;
    }
    return *conf::Ip::parse("0.0.0.0");
}

void VrrpIo::remove_stale_vips()
{
    for (const auto& vi : _cfg.instances) {
        for (const auto* list : {&vi.vips, &vi.excluded_vips}) {
            for (const auto& vip : *list) {
                const int ifindex = vip_ifindex_of(vip.dev.empty() ? vi.interface : vip.dev);
                for (const auto& [addr, len] : _nl.addresses(ifindex)) {
                    if (addr == vip.addr) {
                        vlog::info("({}) removing stale VIP {} left by a previous run", vi.name, addr.str());
                        _nl.del_address(ifindex, vip);
                    }
                }
            }
        }
    }
}

void VrrpIo::send_advert(size_t inst, const vrrp::Advert& advert)
{
    const auto& vi = *_engine->instances()[inst].config;
    VrrpSocket* s = socket_for(vi.interface);
    const bool dp = held(vi.interface);
    if (s == nullptr && !dp) {
        return;
    }
    const conf::Ip src = _engine->instances()[inst].fsm->config().primary;
    uint16_t& id = _ip_ids[vi.name];
    std::array<uint8_t, 1500> buf{};
    auto send_to = [&](const conf::Ip& dst) {
        id = static_cast<uint16_t>(id + 1) == 0 ? 1 : static_cast<uint16_t>(id + 1);
        const size_t n = vrrp::encode_ipv4(advert, src, dst, buf, id);
        const std::span<const uint8_t> packet(buf.data(), n);
        if (n == 0 || !(dp ? _dp.send_vrrp(vi.interface, packet, dst) : s->send(packet, dst))) {
            vlog::warn("({}) failed to send an advert to {}: {}", vi.name, dst.str(), std::strerror(errno));
        }
    };
    if (vi.unicast_peers.empty()) {
        send_to(_cfg.global.vrrp_mcast_group4);
    } else {
        for (const auto& peer : vi.unicast_peers) {
            send_to(peer);
        }
    }
}

void VrrpIo::set_vips(size_t inst, bool own)
{
    const auto& vi = *_engine->instances()[inst].config;
    // keepalived's order: the drop rule before the VIPs come, and after they went.
    const bool fw = _firewall != nullptr && needs_firewall(_cfg, vi);
    if (fw && own) {
        vlog::info("({}) setting firewall drop rule", vi.name);
        std::vector<conf::VirtualIp> all(vi.vips);
        all.insert(all.end(), vi.excluded_vips.begin(), vi.excluded_vips.end());
        std::string error;
        const std::string dev = _dp.kernel_name(vi.interface);
        if (!_firewall->hold(vi.name, all, dev, error)) {
            vlog::error("({}) cannot set the firewall drop rule: {}", vi.name, error);
        }
    }
    for (const auto* list : {&vi.vips, &vi.excluded_vips}) {
        for (const auto& vip : *list) {
            const std::string& dev = vip.dev.empty() ? vi.interface : vip.dev;
            const int ifindex = vip_ifindex_of(dev);
            const std::string home = _dp.vip_name(dev);
            conf::VirtualIp v = vip;
            if (home != dev && v.label.starts_with(dev)) {
                v.label = home + v.label.substr(dev.size());  // ens33:2 → vd-ens33:2
            }
            // A VIP kept apart from the interface's addresses (XDP's TAP) routes nothing through its home.
            const bool prefix_route = home == _dp.kernel_name(dev);
            auto ec = own ? _nl.add_address(ifindex, v, prefix_route) : _nl.del_address(ifindex, v);
            if (ec) {
                vlog::error("({}) cannot {} {} on {}: {}", vi.name, own ? "add" : "remove", vip.addr.str(), dev, ec.message());
            }
        }
    }
    if (_owned_changed) {
        _owned_changed();
    }
    if (_firewall != nullptr && !own && _firewall->holds(vi.name)) {
        vlog::info("({}) removing firewall drop rule", vi.name);
        std::string error;
        if (!_firewall->release(vi.name, error)) {
            vlog::error("({}) cannot remove the firewall drop rule: {}", vi.name, error);
        }
    }
}

void VrrpIo::send_garp(size_t inst, int count)
{
    const auto& vi = *_engine->instances()[inst].config;
    for (const auto& vip : vi.vips) {
        if (!vip.addr.is_v4()) {
            continue;
        }
        const std::string& dev = vip.dev.empty() ? vi.interface : vip.dev;
        if (held(dev)) {
            vlog::info("({}) Sending/queueing gratuitous ARPs on {} for {}", vi.name, dev, vip.addr.str());
            for (int i = 0; i < count; ++i) {
                _dp.send_garp(dev, vip.addr);
            }
            continue;
        }
        Garp* g = garp_for(dev);
        if (g == nullptr) {
            continue;
        }
        vlog::info("({}) Sending/queueing gratuitous ARPs on {} for {}", vi.name, dev, vip.addr.str());
        for (int i = 0; i < count; ++i) {
            g->send(vip.addr);
        }
    }
}

void VrrpIo::state_changed(size_t inst, vrrp::State from, vrrp::State to)
{
    _notify(inst, from, to);
}

void VrrpIo::log(std::string_view line)
{
    vlog::line(line);
}

} // namespace kernel
