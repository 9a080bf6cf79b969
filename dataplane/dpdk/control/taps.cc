// The DPDK node: the interfaces taken (MACs, addresses, routes), their addresses and routes moved to
// TAPs and put back.
#include "dataplane/dpdk/control/node.h"

namespace node {

// Which interfaces, their MACs, addresses and routes; the TAP names.
bool DpdkNode::take(const conf::Config& cfg, std::string& error)
{
    const auto taken = kernel::interfaces_to_take(cfg, *_nl, _opts.interfaces);
    if (taken.empty()) {
        error = "no interface to take: the configuration names none and routes to no real server (name one with --interface)";
        return false;
    }
    std::vector<std::string> names;
    for (const auto& t : taken) {
        vlog::info("{}: taken for {}", t.name, t.why);
        names.push_back(t.name);
    }
    for (const auto& n : names) {
        Held h;
        h.ifname = n;
        for (const auto& [ifn, pci] : _opts.port_map) {
            if (ifn == n) {
                h.pci = pci;
            }
        }
        if (!h.pci.empty()) {
            // No kernel interface: the TAP takes the config's name; its addresses are the user's to set.
            h.tap = n;
            _held.push_back(h);
            continue;
        }
        auto link = _nl->link(n);
        if (!link) {
            error = fmt::format("interface {} does not exist (the DPDK dataplane takes the interfaces the configuration names)", n);
            return false;
        }
        h.ifindex = link->index;
        h.mac = link->mac;
        h.mtu = link->mtu;
        h.read(*_nl, link->index);
        if (h.addrs.empty()) {
            // A predecessor died holding the interface and nothing put its addresses back.
            SavedInterface saved = load_interface_state(_opts.state_dir, n);
            h.addrs = std::move(saved.addrs);
            h.routes = std::move(saved.routes);
            if (!h.addrs.empty()) {
                vlog::info("{}: no IPv4 address; using the ones saved by the previous run ({} addresses)", n, h.addrs.size());
            }
        }
        const std::string tap = "vd-" + n;
        h.tap = tap.size() < IFNAMSIZ ? tap : fmt::format("vd-{}", link->index);
        if (_nl->link(h.tap)) {
            error = fmt::format("{} already exists: another vipd holds {}", h.tap, n);
            return false;
        }
        _held.push_back(h);
    }
    return true;
}

// The interface's addresses and routes go to its TAP: the kernel keeps its identity on the LAN
// (ssh, health checks, the control socket) while DPDK holds the wire.
bool DpdkNode::move_to_taps(std::string& error)
{
    for (Held& h : _held) {
        auto tap = _nl->link(h.tap);
        if (!tap) {
            error = fmt::format("TAP {} did not appear", h.tap);
            return false;
        }
        h.tap_ifindex = tap->index;
        if (auto ec = _nl->set_up(h.tap_ifindex)) {
            error = fmt::format("cannot set {} up: {}", h.tap, ec.message());
            return false;
        }
        if (h.pci.empty()) {
            if (std::string why = save_interface_state(_opts.state_dir, h.ifname, {.tap = h.tap, .addrs = h.addrs, .routes = h.routes});
                !why.empty()) {
                error = fmt::format("{}: {} (its addresses stay where they are)", h.ifname, why);
                return false;
            }
        }
        for (const auto& [ip, prefix] : h.addrs) {
            conf::VirtualIp a{.addr = ip, .prefix = prefix};
            if (auto ec = _nl->add_address(h.tap_ifindex, a)) {
                error = fmt::format("cannot add {}/{} to {}: {}", ip.str(), int{prefix}, h.tap, ec.message());
                return false;
            }
        }
        for (const auto& r : h.routes) {
            if (h.ifindex != 0) {
                _nl->del_route4(h.ifindex, r);
            }
            if (auto ec = _nl->add_route4(h.tap_ifindex, r)) {
                vlog::warn("cannot move the route to {}/{} to {}: {}", r.dst.str(), int{r.prefix}, h.tap, ec.message());
            }
        }
        h.moved = true;
        if (h.ifindex != 0) {
            for (const auto& [ip, prefix] : h.addrs) {
                _nl->del_address(h.ifindex, {.addr = ip, .prefix = prefix});
            }
        }
        if (!h.addrs.empty()) {
            vlog::info("{}: {} address(es) and {} route(s) moved to {}", h.ifname, h.addrs.size(), h.routes.size(), h.tap);
        }
    }
    return true;
}

void DpdkNode::restore_addresses()
{
    for (const Held& h : _held) {
        if (h.ifindex == 0 || !h.moved) {
            continue;
        }
        for (const auto& [ip, prefix] : h.addrs) {
            if (auto ec = _nl->add_address(h.ifindex, {.addr = ip, .prefix = prefix})) {
                vlog::error("cannot put {}/{} back on {}: {}", ip.str(), int{prefix}, h.ifname, ec.message());
            }
        }
        for (const auto& r : h.routes) {
            _nl->add_route4(h.ifindex, r);
        }
        remove_interface_state(_opts.state_dir, h.ifname);
        vlog::info("{}: addresses and routes put back", h.ifname);
    }
}

}  // namespace node
