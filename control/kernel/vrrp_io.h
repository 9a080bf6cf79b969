// The VRRP engine's hands: VRRP adverts through a raw IPPROTO_VRRP socket per interface that the
// dataplane does not hold (every one in kernel mode and with XDP; IP header built by us, as keepalived
// does, so the v3 checksum covers the address that really goes out), through the dataplane for those
// it holds (DPDK); VIPs through rtnetlink on the kernel-side interface, gratuitous ARPs through a
// packet socket or the dataplane.
#pragma once

#include "conf/model.h"
#include "control/dataplane.h"
#include "control/kernel/firewall.h"
#include "control/kernel/garp.h"
#include "control/kernel/netlink.h"
#include "control/vrrp/engine.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kernel {

// One raw VRRP socket bound to an interface, joined to the VRRP group.
class VrrpSocket {
public:
    static std::optional<VrrpSocket> open(const Link& link, const conf::Ip& group, std::string& error);
    VrrpSocket(VrrpSocket&& o) noexcept : _fd(o._fd), _link(std::move(o._link)) { o._fd = -1; }
    VrrpSocket& operator=(VrrpSocket&&) = delete;
    VrrpSocket(const VrrpSocket&) = delete;
    ~VrrpSocket();

    int fd() const { return _fd; }
    const Link& link() const { return _link; }
    // Sends one whole IPv4 packet to `dst`.
    bool send(std::span<const uint8_t> packet, const conf::Ip& dst);
    // Reads one packet (IP header first); 0 when none is waiting.
    size_t receive(std::span<uint8_t> buf);

private:
    VrrpSocket(int fd, Link link) : _fd(fd), _link(std::move(link)) {}
    int _fd = -1;
    Link _link;
};

class VrrpIo : public vrrp::Io {
public:
    using NotifyFn = std::function<void(size_t inst, vrrp::State from, vrrp::State to)>;

    // `dp` (kernel mode's too) carries VRRP for the interfaces it holds and names the kernel-side
    // interface of each; `owned_changed` runs after each VIP change (the daemon republishes the
    // forwarding snapshot with the new owned set).
    VrrpIo(const conf::Config& cfg, Netlink& nl, control::Dataplane& dp, NotifyFn notify, std::function<void()> owned_changed);

    // Opens a socket per interface the config's instances use; false with `error` set if one fails. An
    // interface that does not exist is skipped (the config only runs so with dynamic_interfaces): its
    // instances are FAULT until open_link() gives it a socket.
    bool open(std::string& error);
    // dynamic_interfaces: an instance interface appeared (or came back with a new index) / went away.
    bool open_link(const Link& link, std::string& error);
    void close_link(const std::string& ifname);
    VrrpSocket* socket_for(const std::string& ifname);
    // The instance's source address: unicast_src_ip, mcast_src_ip, else the interface's primary IPv4.
    conf::Ip primary_of(const conf::VrrpInstance& vi);
    // Removes the config's VIPs where a crashed predecessor left them (before the engine starts).
    void remove_stale_vips();
    void attach(const vrrp::Engine& engine) { _engine = &engine; }
    // vrrp_strict / no_accept: the instances without accept drop their VIPs' traffic while MASTER.
    void use_firewall(Firewall* fw) { _firewall = fw; }
    static bool needs_firewall(const conf::Config& cfg, const conf::VrrpInstance& vi) { return !vi.accept.value_or(!cfg.global.vrrp_strict); }

    // VRRP can be sent and received on `ifname`: a socket is open, or a dataplane holds it.
    bool has_transport(const std::string& ifname) { return socket_for(ifname) != nullptr || held(ifname); }

    std::map<std::string, VrrpSocket>& sockets() { return _sockets; }

    void send_advert(size_t inst, const vrrp::Advert& advert) override;
    void set_vips(size_t inst, bool own) override;
    void send_garp(size_t inst, int count) override;
    void state_changed(size_t inst, vrrp::State from, vrrp::State to) override;
    void log(std::string_view line) override;

private:
    Garp* garp_for(const std::string& ifname);
    bool held(const std::string& ifname) const { return _dp.holds(ifname); }
    int ifindex_of(const std::string& ifname);
    int vip_ifindex_of(const std::string& ifname);  // where the VIPs of ifname go (Dataplane::vip_name)

    const conf::Config& _cfg;
    Netlink& _nl;
    control::Dataplane& _dp;
    NotifyFn _notify;
    std::function<void()> _owned_changed;
    const vrrp::Engine* _engine = nullptr;
    Firewall* _firewall = nullptr;
    std::map<std::string, VrrpSocket> _sockets;  // by interface name
    std::map<std::string, Garp> _garps;
    std::map<std::string, uint16_t> _ip_ids;  // keepalived numbers IP ids per instance from 1, skipping 0
};

} // namespace kernel
