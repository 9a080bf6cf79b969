// The rtnetlink client of kernel mode, on libmnl: VIPs in and out of the kernel, interface state, link events.
#include "control/kernel/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <type_traits>

namespace kernel {

namespace {

// Big enough for any single dump datagram the kernel sends (it sizes them by the receive buffer, up to 32 KiB).
constexpr size_t buffer_size = 32768;

class Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "vipd.kernel"; }
    std::string message(int ev) const override
    {
        switch (static_cast<Error>(ev)) {
        case Error::label_not_interface_prefix:
            return "address label must begin with the interface name";
        case Error::label_too_long:
            return "address label is longer than an interface name may be (15 characters)";
        case Error::unknown_scope:
            return "unknown address scope (allowed: global, site, link, host, nowhere)";
        case Error::bad_address:
            return "address family unset or prefix too long for it";
        case Error::no_such_interface:
            return "no such interface";
        }
        return "unknown vipd.kernel error";
    }
};

std::error_code errno_code(int e) { return {e, std::generic_category()}; }

std::optional<uint8_t> scope_of(const std::string& s)
{
    // The names of iproute2's rt_scopes, which keepalived reads the `scope` keyword through.
    if (s.empty() || s == "global") {
        return RT_SCOPE_UNIVERSE;
    }
    if (s == "site") {
        return RT_SCOPE_SITE;
    }
    if (s == "link") {
        return RT_SCOPE_LINK;
    }
    if (s == "host") {
        return RT_SCOPE_HOST;
    }
    if (s == "nowhere") {
        return RT_SCOPE_NOWHERE;
    }
    return std::nullopt;
}

size_t addr_len(const conf::Ip& ip) { return ip.is_v4() ? 4 : 16; }

// libmnl's mnl_attr_for_each, which C++ cannot compile (it assigns a void* to the attribute pointer).
template <class F>
void for_each_attr(const nlmsghdr* nlh, size_t offset, F&& f)
{
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    for (auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
         mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr))); attr = mnl_attr_next(attr)) {
        f(attr);
    }
}

// A request in `buf`: the netlink header (NLM_F_REQUEST | `flags`) and the family header T after it,
// zeroed. `nlh` receives the message, for attributes and the transaction.
template <class T>
T* put_request(void* buf, uint16_t type, uint16_t flags, nlmsghdr** nlh)
{
    *nlh = mnl_nlmsg_put_header(buf);
    (*nlh)->nlmsg_type = type;
    (*nlh)->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    return static_cast<T*>(mnl_nlmsg_put_extra_header(*nlh, sizeof(T)));
}

// Fills a Link from an RTM_NEWLINK/RTM_DELLINK message.
Link parse_link(const nlmsghdr* nlh)
{
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    Link l{.index = ifi->ifi_index,
           .up = (ifi->ifi_flags & IFF_UP) != 0,
           .running = (ifi->ifi_flags & IFF_RUNNING) != 0};
    if (nlh->nlmsg_type == RTM_DELLINK) {
        l.up = false;
        l.running = false;
    }
    for_each_attr(nlh, sizeof(*ifi), [&](const nlattr* attr) {
        switch (mnl_attr_get_type(attr)) {
        case IFLA_IFNAME:
            if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
                l.name = mnl_attr_get_str(attr);
            }
            break;
        case IFLA_ADDRESS:
            if (mnl_attr_get_payload_len(attr) == l.mac.size()) {
                std::memcpy(l.mac.data(), mnl_attr_get_payload(attr), l.mac.size());
            }
            break;
        case IFLA_MTU:
            if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
                l.mtu = mnl_attr_get_u32(attr);
            }
            break;
        case IFLA_LINKINFO: {
            const auto* p = static_cast<const char*>(mnl_attr_get_payload(attr));
            const auto* end = p + mnl_attr_get_payload_len(attr);
            for (auto* a = reinterpret_cast<const nlattr*>(p); mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char*>(a)));
                 a = mnl_attr_next(a)) {
                if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0) {
                    l.kind = mnl_attr_get_str(a);
                }
            }
            break;
        }
        default:
            break;
        }
    });
    return l;
}

struct Addr {
    int index;
    uint8_t family;
    uint8_t prefix;
    uint32_t flags;
    std::optional<conf::Ip> ip;
};

// Reads an RTM_NEWADDR message. IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on a
// point-to-point link and the same as IFA_LOCAL elsewhere (IPv6 sends only IFA_ADDRESS unless a peer is set).
Addr parse_addr(const nlmsghdr* nlh)
{
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    Addr a{.index = static_cast<int>(ifa->ifa_index), .family = ifa->ifa_family, .prefix = ifa->ifa_prefixlen,
           .flags = ifa->ifa_flags, .ip = std::nullopt};
    const size_t len = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
    if (len == 0) {
        return a;
    }
    std::optional<conf::Ip> local, address;
    for_each_attr(nlh, sizeof(*ifa), [&](const nlattr* attr) {
        const auto type = mnl_attr_get_type(attr);
        if ((type == IFA_LOCAL || type == IFA_ADDRESS) && mnl_attr_get_payload_len(attr) == len) {
            conf::Ip ip{.family = ifa->ifa_family};
            std::memcpy(ip.bytes.data(), mnl_attr_get_payload(attr), len);
            (type == IFA_LOCAL ? local : address) = ip;
        } else if (type == IFA_FLAGS && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
            a.flags = mnl_attr_get_u32(attr);
        }
    });
    a.ip = local ? local : address;
    return a;
}

} // namespace

const std::error_category& error_category() noexcept
{
    static const Category c;
    return c;
}

std::error_code make_error_code(Error e) noexcept { return {static_cast<int>(e), error_category()}; }

void Netlink::SocketClose::operator()(mnl_socket* s) const noexcept { mnl_socket_close(s); }

Netlink::Netlink() : _buf(buffer_size)
{
    _request.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
    if (!_request || mnl_socket_bind(_request.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
        throw std::system_error(errno, std::generic_category(), "rtnetlink request socket");
    }
    _portid = mnl_socket_get_portid(_request.get());
    // Start from the clock, as libmnl's examples do, so a restarted daemon does not reuse the sequence
    // numbers of a predecessor whose late answers could still be queued.
    _seq = static_cast<uint32_t>(std::time(nullptr));

    _monitor.reset(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!_monitor || mnl_socket_bind(_monitor.get(), RTMGRP_LINK | RTMGRP_IPV4_IFADDR, MNL_SOCKET_AUTOPID) < 0) {
        throw std::system_error(errno, std::generic_category(), "rtnetlink monitor socket");
    }
}

Netlink::~Netlink() = default;
Netlink::Netlink(Netlink&&) noexcept = default;
Netlink& Netlink::operator=(Netlink&&) noexcept = default;

int Netlink::monitor_fd() const noexcept { return _monitor ? mnl_socket_get_fd(_monitor.get()) : -1; }

template <class OnMsg>
std::error_code Netlink::transact(bool dump, OnMsg&& on_msg)
{
    auto* nlh = reinterpret_cast<nlmsghdr*>(_buf.data());
    const uint32_t seq = nlh->nlmsg_seq = ++_seq;
    // A dump ends with NLMSG_DONE; anything else is answered by an ACK. (NLM_F_DUMP cannot be tested
    // for: its NLM_F_MATCH bit is NLM_F_EXCL in a NEW request.)
    nlh->nlmsg_flags |= dump ? NLM_F_DUMP : NLM_F_ACK;
    if (mnl_socket_sendto(_request.get(), nlh, nlh->nlmsg_len) < 0) {
        return errno_code(errno);
    }
    // The callback sees every message of the answer; libmnl handles NLMSG_ERROR (ACK or errno) and NLMSG_DONE.
    auto cb = [](const nlmsghdr* m, void* data) -> int {
        (*static_cast<std::remove_reference_t<OnMsg>*>(data))(m);
        return MNL_CB_OK;
    };
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(_request.get(), _buf.data(), _buf.size());
        if (n < 0) {
            return errno_code(errno);
        }
        const int r = mnl_cb_run(_buf.data(), static_cast<size_t>(n), seq, _portid, cb, &on_msg);
        if (r == MNL_CB_ERROR) {
            return errno_code(errno);
        }
        if (r == MNL_CB_STOP) {
            return {};
        }
    }
}

std::optional<Link> Netlink::link(int index)
{
    return get_link(index, {});
}

std::optional<Link> Netlink::link(const std::string& name)
{
    if (name.empty() || name.size() >= IFNAMSIZ) {
        return std::nullopt;
    }
    return get_link(0, name);
}

// One RTM_GETLINK, by index or (index 0) by name.
std::optional<Link> Netlink::get_link(int index, const std::string& name)
{
    nlmsghdr* nlh = nullptr;
    auto* ifi = put_request<ifinfomsg>(_buf.data(), RTM_GETLINK, 0, &nlh);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    if (!name.empty()) {
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    }
    std::optional<Link> out;
    if (transact(false, [&](const nlmsghdr* m) {
            if (m->nlmsg_type == RTM_NEWLINK) {
                out = parse_link(m);
            }
        })) {
        return std::nullopt;
    }
    return out;
}

std::vector<Link> Netlink::links()
{
    nlmsghdr* nlh = nullptr;
    auto* ifi = put_request<ifinfomsg>(_buf.data(), RTM_GETLINK, 0, &nlh);
    ifi->ifi_family = AF_UNSPEC;
    std::vector<Link> out;
    if (transact(true, [&](const nlmsghdr* m) {
            if (m->nlmsg_type == RTM_NEWLINK) {
                out.push_back(parse_link(m));
            }
        })) {
        return {};
    }
    return out;
}

std::error_code Netlink::address_request(uint16_t type, uint16_t flags, int ifindex, const conf::VirtualIp& vip,
                                         bool prefix_route)
{
    const conf::Ip& ip = vip.addr;
    if ((ip.family != AF_INET && ip.family != AF_INET6) || vip.prefix > ip.max_prefix()) {
        return Error::bad_address;
    }
    const auto scope = scope_of(vip.scope);
    if (!scope) {
        return Error::unknown_scope;
    }
    // The kernel reports an IPv4 address's label as its interface alias (`ip addr` shows it, `ifconfig`
    // lists eth0:1 as an interface), so a label must name the interface first, as keepalived requires.
    // IPv6 has no labels: the kernel ignores IFA_LABEL there, and so does vipd.
    const bool use_label = ip.is_v4() && !vip.label.empty();
    if (use_label) {
        if (vip.label.size() >= IFNAMSIZ) {
            return Error::label_too_long;
        }
        const auto l = link(ifindex);
        if (!l) {
            return Error::no_such_interface;
        }
        if (!vip.label.starts_with(l->name)) {
            return Error::label_not_interface_prefix;
        }
    }

    nlmsghdr* nlh = nullptr;
    auto* ifa = put_request<ifaddrmsg>(_buf.data(), type, flags, &nlh);
    ifa->ifa_family = ip.family;
    ifa->ifa_prefixlen = vip.prefix;
    ifa->ifa_scope = *scope;
    ifa->ifa_index = static_cast<uint32_t>(ifindex);
    const auto len = static_cast<uint16_t>(addr_len(ip));
    // As iproute2 does: IFA_LOCAL is the address, IFA_ADDRESS the same (no peer).
    mnl_attr_put(nlh, IFA_LOCAL, len, ip.bytes.data());
    mnl_attr_put(nlh, IFA_ADDRESS, len, ip.bytes.data());
    if (type == RTM_NEWADDR) {
        if (vip.broadcast && ip.is_v4() && vip.broadcast->is_v4()) {
            mnl_attr_put(nlh, IFA_BROADCAST, 4, vip.broadcast->bytes.data());
        }
        if (use_label) {
            mnl_attr_put_strz(nlh, IFA_LABEL, vip.label.c_str());
        }
        if (!ip.is_v4()) {
            // As keepalived (ip shows its IPv6 VIPs "nodad"): a VIP taken over must answer at once,
            // not after a second of duplicate address detection against the master that just left.
            ifa->ifa_flags = IFA_F_NODAD;
        }
        if (!prefix_route) {
            // IFA_F_NOPREFIXROUTE does not fit the 8-bit ifa_flags: it goes in IFA_FLAGS (Linux 3.14+).
            mnl_attr_put_u32(nlh, IFA_FLAGS, ifa->ifa_flags | IFA_F_NOPREFIXROUTE);
        }
    }
    return transact(false, [](const nlmsghdr*) {});
}

std::error_code Netlink::add_address(int ifindex, const conf::VirtualIp& vip, bool prefix_route)
{
    auto ec = address_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, vip, prefix_route);
    if (ec == std::errc::file_exists) {
        return {};
    }
    return ec;
}

std::error_code Netlink::del_address(int ifindex, const conf::VirtualIp& vip)
{
    // Deletion matches on address and prefix only, so the label is not checked (nor sent).
    conf::VirtualIp match = vip;
    match.label.clear();
    match.broadcast.reset();
    match.scope.clear();
    auto ec = address_request(RTM_DELADDR, 0, ifindex, match);
    if (ec == std::errc::address_not_available) {
        return {};
    }
    return ec;
}

std::vector<std::pair<conf::Ip, uint8_t>> Netlink::addresses(int ifindex)
{
    nlmsghdr* nlh = nullptr;
    auto* ifa = put_request<ifaddrmsg>(_buf.data(), RTM_GETADDR, 0, &nlh);
    ifa->ifa_family = AF_UNSPEC;
    std::vector<std::pair<conf::Ip, uint8_t>> out;
    if (transact(true, [&](const nlmsghdr* m) {
            if (m->nlmsg_type != RTM_NEWADDR) {
                return;
            }
            const Addr a = parse_addr(m);
            if (a.index == ifindex && a.ip) {
                out.emplace_back(*a.ip, a.prefix);
            }
        })) {
        return {};
    }
    return out;
}

std::optional<conf::Ip> Netlink::primary_ipv4(int ifindex)
{
    nlmsghdr* nlh = nullptr;
    auto* ifa = put_request<ifaddrmsg>(_buf.data(), RTM_GETADDR, 0, &nlh);
    ifa->ifa_family = AF_INET;
    std::optional<conf::Ip> out;
    // The dump must be read to its end even after a match, or its tail would answer the next request.
    if (transact(true, [&](const nlmsghdr* m) {
            if (m->nlmsg_type != RTM_NEWADDR || out) {
                return;
            }
            const Addr a = parse_addr(m);
            if (a.index == ifindex && a.family == AF_INET && a.ip && !(a.flags & IFA_F_SECONDARY)) {
                out = a.ip;
            }
        })) {
        return std::nullopt;
    }
    return out;
}

std::error_code Netlink::set_up(int ifindex)
{
    nlmsghdr* nlh = nullptr;
    auto* ifi = put_request<ifinfomsg>(_buf.data(), RTM_NEWLINK, 0, &nlh);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return transact(false, [](const nlmsghdr*) {});
}

std::vector<Route4> Netlink::routes4(int ifindex)
{
    nlmsghdr* nlh = nullptr;
    auto* rtm = put_request<rtmsg>(_buf.data(), RTM_GETROUTE, 0, &nlh);
    rtm->rtm_family = AF_INET;
    std::vector<Route4> out;
    if (transact(true, [&](const nlmsghdr* m) {
            if (m->nlmsg_type != RTM_NEWROUTE) {
                return;
            }
            const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
            if (rt->rtm_family != AF_INET || rt->rtm_table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST) {
                return;
            }
            Route4 r{.dst = *conf::Ip::parse("0.0.0.0"), .prefix = rt->rtm_dst_len, .gateway = std::nullopt,
                     .prefsrc = std::nullopt, .metric = 0, .protocol = rt->rtm_protocol, .scope = rt->rtm_scope};
            int oif = 0;
            auto v4 = [](const nlattr* a) {
                conf::Ip ip{.family = AF_INET};
                std::memcpy(ip.bytes.data(), mnl_attr_get_payload(a), 4);
                return ip;
            };
            for_each_attr(m, sizeof(*rt), [&](const nlattr* a) {
                const auto type = mnl_attr_get_type(a);
                const bool four = mnl_attr_get_payload_len(a) == 4;
                if (type == RTA_DST && four) {
                    r.dst = v4(a);
                } else if (type == RTA_GATEWAY && four) {
                    r.gateway = v4(a);
                } else if (type == RTA_PREFSRC && four) {
                    r.prefsrc = v4(a);
                } else if (type == RTA_PRIORITY && four) {
                    r.metric = mnl_attr_get_u32(a);
                } else if (type == RTA_OIF && four) {
                    oif = static_cast<int>(mnl_attr_get_u32(a));
                }
            });
            if (oif == ifindex) {
                out.push_back(r);
            }
        })) {
        return {};
    }
    return out;
}

std::error_code Netlink::route_request(uint16_t type, uint16_t flags, int ifindex, const Route4& r)
{
    nlmsghdr* nlh = nullptr;
    auto* rtm = put_request<rtmsg>(_buf.data(), type, flags, &nlh);
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = r.prefix;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = r.protocol != 0 ? r.protocol : RTPROT_BOOT;
    rtm->rtm_scope = r.scope;
    rtm->rtm_type = RTN_UNICAST;
    if (r.prefix != 0) {
        mnl_attr_put(nlh, RTA_DST, 4, r.dst.bytes.data());
    }
    if (r.gateway) {
        mnl_attr_put(nlh, RTA_GATEWAY, 4, r.gateway->bytes.data());
    }
    if (r.prefsrc) {
        mnl_attr_put(nlh, RTA_PREFSRC, 4, r.prefsrc->bytes.data());
    }
    if (r.metric != 0) {
        mnl_attr_put_u32(nlh, RTA_PRIORITY, r.metric);
    }
    mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex));
    return transact(false, [](const nlmsghdr*) {});
}

std::error_code Netlink::add_route4(int ifindex, const Route4& r)
{
    auto ec = route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifindex, r);
    return ec == std::errc::file_exists ? std::error_code{} : ec;
}

std::error_code Netlink::del_route4(int ifindex, const Route4& r)
{
    auto ec = route_request(RTM_DELROUTE, 0, ifindex, r);
    return ec == std::errc::no_such_process ? std::error_code{} : ec;
}

std::optional<RouteTo> Netlink::route_to(const conf::Ip& dst)
{
    if (!dst.is_v4()) {
        return std::nullopt;
    }
    nlmsghdr* nlh = nullptr;
    auto* rtm = put_request<rtmsg>(_buf.data(), RTM_GETROUTE, 0, &nlh);
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 32;
    mnl_attr_put(nlh, RTA_DST, 4, dst.bytes.data());
    std::optional<RouteTo> out;
    if (transact(false, [&](const nlmsghdr* m) {
            if (m->nlmsg_type != RTM_NEWROUTE) {
                return;
            }
            const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
            if (rt->rtm_type != RTN_UNICAST) {
                return;  // local, unreachable, blackhole: nothing leaves
            }
            RouteTo r;
            for_each_attr(m, sizeof(*rt), [&](const nlattr* a) {
                if (mnl_attr_get_payload_len(a) != 4) {
                    return;
                }
                if (mnl_attr_get_type(a) == RTA_OIF) {
                    r.ifindex = static_cast<int>(mnl_attr_get_u32(a));
                } else if (mnl_attr_get_type(a) == RTA_GATEWAY) {
                    conf::Ip gw{.family = AF_INET};
                    std::memcpy(gw.bytes.data(), mnl_attr_get_payload(a), 4);
                    r.gateway = gw;
                }
            });
            if (r.ifindex != 0) {
                out = r;
            }
        })) {
        return std::nullopt;
    }
    return out;
}

std::vector<Neighbour4> Netlink::neighbours4(int ifindex)
{
    nlmsghdr* nlh = nullptr;
    auto* ndm = put_request<ndmsg>(_buf.data(), RTM_GETNEIGH, 0, &nlh);
    ndm->ndm_family = AF_INET;
    ndm->ndm_ifindex = ifindex;
    std::vector<Neighbour4> out;
    constexpr uint16_t usable = NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT;
    if (transact(true, [&](const nlmsghdr* m) {
            if (m->nlmsg_type != RTM_NEWNEIGH) {
                return;
            }
            const auto* n = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(m));
            if (n->ndm_family != AF_INET || (n->ndm_state & usable) == 0 || (ifindex != 0 && n->ndm_ifindex != ifindex)) {
                return;
            }
            Neighbour4 e{.ifindex = n->ndm_ifindex, .ip = conf::Ip{.family = AF_INET},
                         .confirmed = (n->ndm_state & (NUD_REACHABLE | NUD_PERMANENT)) != 0};
            bool ip = false, mac = false;
            for_each_attr(m, sizeof(*n), [&](const nlattr* a) {
                if (mnl_attr_get_type(a) == NDA_DST && mnl_attr_get_payload_len(a) == 4) {
                    std::memcpy(e.ip.bytes.data(), mnl_attr_get_payload(a), 4);
                    ip = true;
                } else if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == e.mac.size()) {
                    std::memcpy(e.mac.data(), mnl_attr_get_payload(a), e.mac.size());
                    mac = true;
                } else if (mnl_attr_get_type(a) == NDA_CACHEINFO && mnl_attr_get_payload_len(a) >= sizeof(nda_cacheinfo)) {
                    nda_cacheinfo ci{};
                    std::memcpy(&ci, mnl_attr_get_payload(a), sizeof ci);
                    e.confirmed_ms_ago = ci.ndm_confirmed * 10;  // clock_t, USER_HZ 100
                }
            });
            if (ip && mac) {
                out.push_back(e);
            }
        })) {
        return {};
    }
    return out;
}

std::error_code Netlink::resolve_neighbour(int ifindex, const conf::Ip& ip)
{
    if (!ip.is_v4()) {
        return Error::bad_address;
    }
    nlmsghdr* nlh = nullptr;
    auto* ndm = put_request<ndmsg>(_buf.data(), RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &nlh);
    ndm->ndm_family = AF_INET;
    ndm->ndm_ifindex = ifindex;
    ndm->ndm_state = NUD_NONE;
    ndm->ndm_flags = NTF_USE;  // neigh_event_send(): start (or refresh) resolution, change nothing else
    mnl_attr_put(nlh, NDA_DST, 4, ip.bytes.data());
    return transact(false, [](const nlmsghdr*) {});
}

std::vector<Link> Netlink::read_link_events()
{
    std::vector<Link> out;
    std::vector<char> buf(buffer_size);
    bool overflowed = false;
    for (;;) {
        const ssize_t n = recv(monitor_fd(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == ENOBUFS) {  // the kernel dropped events: keep draining, then resynchronise
                overflowed = true;
                continue;
            }
            break;  // EAGAIN: drained
        }
        auto len = static_cast<int>(n);
        for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
             nlh = mnl_nlmsg_next(nlh, &len)) {
            if ((nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK) &&
                nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(ifinfomsg))) {
                out.push_back(parse_link(nlh));
            }
        }
    }
    if (overflowed) {
        auto all = links();
        out.insert(out.end(), all.begin(), all.end());
    }
    return out;
}

} // namespace kernel
