// In kernel mode the VIPs live in the kernel's own address tables, so vipd needs an rtnetlink client to
// add and remove them, to read an interface's state and primary address, and to hear links go down.
//
// One NETLINK_ROUTE socket answers requests; a second one, subscribed to RTMGRP_LINK and
// RTMGRP_IPV4_IFADDR, is handed to the daemon's event loop through monitor_fd() and drained with
// read_link_events(). Both sockets live on the control thread only; nothing here is thread-safe.
// Errors come back as std::error_code (the constructor alone throws, at start-up).
#pragma once

#include "conf/model.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

struct mnl_socket;

namespace kernel {

// What vipd needs to know about an interface; `up` is IFF_UP (administrative), `running` is IFF_RUNNING
// (carrier and operstate), the pair keepalived's track_interface looks at.
struct Link {
    int index = 0;
    std::string name;
    std::array<uint8_t, 6> mac{};  // zero where the link has no 6-byte hardware address
    bool up = false;
    bool running = false;
    unsigned mtu = 0;
    std::string kind;  // IFLA_INFO_KIND ("veth", "bridge", "tun"…); empty for a plain NIC
};

// An IPv4 route of the main table through one interface (what a dataplane moves to its TAP).
struct Route4 {
    conf::Ip dst;        // network
    uint8_t prefix = 0;  // 0: the default route
    std::optional<conf::Ip> gateway;
    std::optional<conf::Ip> prefsrc;
    uint32_t metric = 0;
    uint8_t protocol = 0;  // RTPROT_*: RTPROT_KERNEL routes come and go with their address
    uint8_t scope = 0;
};

// A route lookup's answer (RTM_GETROUTE for one destination, as `ip route get`): where a packet to it
// leaves, and through which gateway (none: on-link).
struct RouteTo {
    int ifindex = 0;
    std::optional<conf::Ip> gateway;
};

// An IPv4 neighbour the kernel has resolved (REACHABLE, STALE, DELAY, PROBE, PERMANENT): a MAC to use.
struct Neighbour4 {
    int ifindex = 0;
    conf::Ip ip;
    std::array<uint8_t, 6> mac{};
    bool confirmed = false;        // NUD_REACHABLE or permanent (not only STALE)
    uint32_t confirmed_ms_ago = 0; // since the kernel last heard from it (NDA_CACHEINFO, 10 ms steps)
};

// Reasons of vipd's own, beside the kernel's errno values, for refusing an address.
enum class Error {
    label_not_interface_prefix = 1,  // the kernel names an address by its label: it must begin with the interface name
    label_too_long,                  // a label is an interface name: at most IFNAMSIZ - 1 characters
    unknown_scope,                   // not one of global, site, link, host, nowhere
    bad_address,                     // family unset, or prefix beyond the family's length
    no_such_interface,
};
const std::error_category& error_category() noexcept;
std::error_code make_error_code(Error e) noexcept;

// The rtnetlink client. Movable, not copyable.
class Netlink {
public:
    /// Opens and binds both sockets. Throws std::system_error: start-up only.
    Netlink();
    ~Netlink();
    Netlink(Netlink&&) noexcept;
    Netlink& operator=(Netlink&&) noexcept;
    Netlink(const Netlink&) = delete;
    Netlink& operator=(const Netlink&) = delete;

    /// The interface of that name or index, nullopt when there is none (or the kernel would not say).
    std::optional<Link> link(const std::string& name);
    std::optional<Link> link(int index);
    /// Every interface; used to resynchronise after the monitor socket overflowed.
    std::vector<Link> links();

    /// Adds vip (IPv4 or IPv6) to ifindex with its prefix, broadcast, label (IPv4 only, must begin with
    /// the interface name) and scope. An address already there is success.
    /// `prefix_route` false: no route to the prefix through ifindex (IFA_F_NOPREFIXROUTE), for an
    /// interface that only stands in for the addresses (the XDP node's VIP TAP).
    std::error_code add_address(int ifindex, const conf::VirtualIp& vip, bool prefix_route = true);
    /// Removes vip from ifindex, matched by address and prefix. An address not there is success.
    std::error_code del_address(int ifindex, const conf::VirtualIp& vip);

    /// The addresses on ifindex with their prefix lengths, in the kernel's order; empty on error.
    std::vector<std::pair<conf::Ip, uint8_t>> addresses(int ifindex);
    /// The first IPv4 address on ifindex not flagged secondary: the source address of VRRP adverts.
    std::optional<conf::Ip> primary_ipv4(int ifindex);

    /// Sets the interface administratively up (IFF_UP).
    std::error_code set_up(int ifindex);
    /// The IPv4 unicast routes of the main table whose output interface is ifindex.
    std::vector<Route4> routes4(int ifindex);
    /// Adds (or deletes) an IPv4 route of the main table through ifindex. Adding one already there and
    /// deleting one not there are success.
    std::error_code add_route4(int ifindex, const Route4& r);
    std::error_code del_route4(int ifindex, const Route4& r);
    /// Where a packet to `dst` leaves (the main table's choice), nullopt when there is no route.
    std::optional<RouteTo> route_to(const conf::Ip& dst);
    /// The resolved IPv4 neighbours on ifindex (0: on every interface).
    std::vector<Neighbour4> neighbours4(int ifindex);
    /// Asks the kernel to resolve `ip` on ifindex (RTM_NEWNEIGH with NTF_USE: an entry is created if
    /// none exists and an ARP request goes out, or a stale one is re-probed); the answer shows in
    /// neighbours4(). Creates nothing permanent: the entry ages and is collected as any other.
    std::error_code resolve_neighbour(int ifindex, const conf::Ip& ip);
    /// The non-blocking monitor socket, for the event loop to wait on (readable = events queued).
    int monitor_fd() const noexcept;
    /// Drains the monitor socket without blocking and returns each link change in arrival order; a deleted
    /// link is reported down and not running. Address events are drained and dropped. When the kernel
    /// dropped events (ENOBUFS), the current state of every link is appended so nothing is missed.
    std::vector<Link> read_link_events();

private:
    struct SocketClose {
        void operator()(mnl_socket* s) const noexcept;
    };
    using Socket = std::unique_ptr<mnl_socket, SocketClose>;

    // One RTM_GETLINK, by index or (index 0) by name.
    std::optional<Link> get_link(int index, const std::string& name);
    // Sends the request in _buf (as a dump or with an ACK asked for) and reads answers until the ACK or
    // NLMSG_DONE, handing each data message to on_msg. Returns the kernel's error, if any.
    template <class OnMsg>
    std::error_code transact(bool dump, OnMsg&& on_msg);
    std::error_code address_request(uint16_t type, uint16_t flags, int ifindex, const conf::VirtualIp& vip,
                                    bool prefix_route = true);
    std::error_code route_request(uint16_t type, uint16_t flags, int ifindex, const Route4& r);

    Socket _request;
    Socket _monitor;
    unsigned _portid = 0;
    uint32_t _seq = 0;
    std::vector<char> _buf;  // request and receive buffer of the request socket
};

} // namespace kernel

template <>
struct std::is_error_code_enum<kernel::Error> : std::true_type {};
