// The daemon's network side: reading the VRRP sockets, link events from netlink, and reconciling the
// instances' interfaces (dynamic_interfaces) and source addresses with what the kernel has now.
#include "control/daemon_impl.h"
#include "control/log.h"

#include <algorithm>
#include <array>
#include <set>

namespace control::detail {

void Daemon::read_socket(const std::string& ifname)
{
    Generation* g = _gen.get();
    g->readers.at(ifname)->async_wait(asio::posix::stream_descriptor::wait_read, [this, g, gid = g->id, ifname](const boost::system::error_code& ec) {
        if (ec || gid != _gen->id) {
            return;
        }
        auto* sock = g->io->socket_for(ifname);
        if (sock == nullptr) {
            return;  // the interface went away (dynamic_interfaces)
        }
        std::array<uint8_t, 65536> buf{};
        // Bounded: a flood cannot starve timers; the rest waits for the next turn of the loop.
        for (int i = 0; i < 256; ++i) {
            const size_t n = sock->receive(buf);
            if (n == 0) {
                break;
            }
            g->engine->receive(vrrp::Clock::now(), ifname, std::span<const uint8_t>(buf.data(), n));
        }
        rearm();
        read_socket(ifname);
    });
}

void Daemon::watch_links()
{
    _link_events->async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
        if (ec) {
            return;
        }
        const auto events = _nl->read_link_events();
        reconcile_links();
        for (const auto& link : events) {
            auto it = _gen->link_up.find(link.name);
            const bool up = link.up && link.running;
            if (it != _gen->link_up.end() && it->second != up) {
                it->second = up;
                vlog::info("Netlink reports {} {}", link.name, up ? "up" : "down");
            }
        }
        update_tracking();  // also for an interface that appeared or went, and for address changes
        rearm();
        watch_links();
    });
}

// dynamic_interfaces: an instance interface that appears gets its VRRP socket (and the instances their
// source address), one that goes loses it (its instances FAULT). Asked of the kernel, not read from the
// events, so nothing is missed when the monitor socket overflowed.
void Daemon::reconcile_links()
{
    Generation* g = _gen.get();
    const auto& cfg = g->loaded->config;
    std::set<std::string> names;
    for (const auto& vi : cfg.instances) {
        names.insert(vi.interface);
    }
    for (const auto& name : names) {
        if (_dp.holds(name)) {
            continue;  // the dataplane carries its VRRP
        }
        auto link = _nl->link(name);
        auto* sock = g->io->socket_for(name);
        if (link && (sock == nullptr || sock->link().index != link->index)) {
            vlog::info("Interface {} added", name);
            std::string error;
            if (!g->io->open_link(*link, error)) {
                vlog::error(error);
                continue;
            }
            g->readers[name] = std::make_unique<asio::posix::stream_descriptor>(_io, dup_cloexec(g->io->socket_for(name)->fd()));
            read_socket(name);
        } else if (!link && sock != nullptr) {
            vlog::info("Interface {} deleted", name);
            g->readers.erase(name);  // cancels its wait
            g->io->close_link(name);
        }
    }
    // Source addresses: unicast_src_ip / mcast_src_ip stay; the interface's primary IPv4 may have changed
    // (asked once per interface: a burst of VIP changes must not cost a dump per instance).
    std::map<std::string, conf::Ip> primary;
    for (size_t i = 0; i < g->engine->instances().size(); ++i) {
        const auto& vi = *g->engine->instances()[i].config;
        if (vi.unicast_src_ip || vi.mcast_src_ip) {
            continue;
        }
        auto it = primary.find(vi.interface);
        if (it == primary.end()) {
            it = primary.emplace(vi.interface, g->io->primary_of(vi)).first;
        }
        const conf::Ip now = it->second;
        if (now != g->engine->instances()[i].fsm->config().primary) {
            g->engine->set_primary(i, now);
        }
    }
}

bool Daemon::has_source(size_t inst) const
{
    const conf::Ip& ip = _gen->engine->instances()[inst].fsm->config().primary;
    return ip.family != 0 && std::any_of(ip.bytes.begin(), ip.bytes.end(), [](uint8_t b) { return b != 0; });
}

} // namespace control::detail
