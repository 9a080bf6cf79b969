// The one interface between the control thread and a dataplane (../DESIGN.md rule 2): the control
// thread runs VRRP, the health checkers and reloads; a dataplane holds the interfaces, forwards, answers
// ARP for the VIPs it is told it owns, and carries VRRP adverts and gratuitous ARPs on the wire.
// DPDK implements it (dataplane/node), the XDP loader will; kernel mode needs none (IPVS-less: VIPs in
// the kernel, VRRP on raw sockets).
//
// Threading: every call comes from the control thread.
#pragma once

#include "conf/model.h"
#include "control/check/check.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace control {

class Dataplane {
public:
    virtual ~Dataplane() = default;

    /// "dpdk", "xdp": for the log.
    virtual std::string name() const = 0;

    /// Takes the interfaces that `cfg` names (each instance's interface) and moves their addresses and
    /// routes to the kernel-side interface that stands in for each (kernel_name()). Once, at start.
    /// False with `error` set when it cannot (the daemon then exits having changed nothing).
    virtual bool start(const conf::Config& cfg, std::string& error) = 0;
    /// Puts the addresses and routes back and releases the interfaces. Once, at exit.
    virtual void stop() = 0;

    /// True when the dataplane holds `ifname` (VRRP for it goes through send_vrrp, not a socket).
    virtual bool holds(const std::string& ifname) const = 0;
    /// The kernel interface that carries `ifname`'s addresses (and the VIPs, for the kernel's own
    /// answers such as ping) while the dataplane holds it; `ifname` itself otherwise.
    virtual std::string kernel_name(const std::string& ifname) const = 0;

    /// Builds and publishes a forwarding table from `cfg` (which must outlive the next update call),
    /// the checkers' view (one entry per virtual server; empty: as configured) and the VIPs this node owns; the dataplane republishes by itself when it
    /// learns a neighbour. Lock-free for the forwarding lcores: no packet waits or is lost.
    virtual void update(const conf::Config& cfg, const std::vector<check::VsLive>& health,
                        const std::vector<conf::Ip>& owned) = 0;

    /// Sends one IPv4 packet (header first: a VRRP advert) out of `ifname`, to `dst` (the VRRP group,
    /// or a unicast peer whose MAC the dataplane resolves). False when it could not be queued.
    virtual bool send_vrrp(const std::string& ifname, std::span<const uint8_t> packet, const conf::Ip& dst) = 0;
    /// Sends one gratuitous ARP for `vip` out of `ifname` (keepalived's frame).
    virtual bool send_garp(const std::string& ifname, const conf::Ip& vip) = 0;

    /// Moves the exception traffic (kernel ↔ wire) and hands each VRRP advert received to `vrrp`
    /// (interface, IPv4 packet). Returns the frames handled, so the caller can poll again soon.
    using VrrpSink = std::function<void(const std::string& ifname, std::span<const uint8_t> packet)>;
    virtual size_t poll(const VrrpSink& vrrp) = 0;

    /// Counters as text (what SIGUSR2 appends to the statistics file).
    virtual std::string stats() const = 0;
};

} // namespace control
