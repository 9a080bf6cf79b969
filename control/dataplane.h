// The one interface between the control thread and a dataplane (../DESIGN.md rule 2): the control
// thread runs VRRP, the health checkers and reloads; a dataplane holds the interfaces, forwards, answers
// ARP for the VIPs it is told it owns, and carries VRRP adverts and gratuitous ARPs on the wire.
// Control builds one dataplane-neutral forwarding snapshot (dataplane/fwd) and every dataplane
// applies it. DPDK implements it (dataplane/dpdk/control), the XDP loader will (bpf/), and so does
// kernel mode (control/kernel/kernel_dataplane.h: VIPs by netlink, VRRP on raw sockets, no
// forwarding, as this kernel has no IPVS), so the daemon always has one and never asks.
//
// Threading: every call comes from the control thread.
#pragma once

#include "conf/model.h"
#include "conf/result.h"
#include "dataplane/fwd/snapshot.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace control {

class Dataplane {
public:
    virtual ~Dataplane() = default;

    /// "dpdk", "xdp", "kernel": for the log.
    virtual std::string name() const = 0;
    /// What the start line calls it ("Starting vipd 1.0 (dpdk dataplane)"); kernel mode says "kernel mode".
    virtual std::string description() const { return name() + " dataplane"; }

    /// Takes the interfaces that `cfg` names (each instance's interface) and moves their addresses and
    /// routes to the kernel-side interface that stands in for each (kernel_name()). Once, at start.
    /// Why not when it cannot (the daemon then exits having changed nothing).
    virtual vipd::Status start(const conf::Config& cfg) = 0;
    /// Puts the addresses and routes back and releases the interfaces. Once, at exit.
    virtual void stop() = 0;

    /// True when the dataplane holds `ifname` and carries its VRRP (send_vrrp, send_garp, poll). VRRP
    /// on an interface no dataplane holds runs on kernel raw sockets (kernel::VrrpIo): every interface
    /// in kernel mode and with XDP, whose program leaves VRRP to the kernel.
    virtual bool holds(const std::string& ifname) const = 0;
    /// The kernel interface that carries `ifname`'s addresses (and the VIPs, for the kernel's own
    /// answers such as ping) while the dataplane holds it; `ifname` itself otherwise.
    virtual std::string kernel_name(const std::string& ifname) const = 0;
    /// The kernel interface that holds the VIPs of `ifname` while this node owns them: kernel_name()
    /// unless the dataplane keeps them apart (XDP: a TAP of vipd's, so the VIPs die with the process and
    /// never sit on the NIC). Where it differs from kernel_name(), a VIP's prefix gets no route there.
    virtual std::string vip_name(const std::string& ifname) const { return kernel_name(ifname); }

    /// False for kernel mode, which forwards nothing: control then builds no snapshot for it.
    virtual bool forwards() const = 0;
    /// What the dataplane's tables have room for (the snapshot builder refuses more).
    virtual fwd::Limits limits() const { return {}; }
    /// Applies a new forwarding snapshot (the config's services with the checkers' health and the VIPs
    /// owned now); the dataplane re-applies the last one by itself when it learns a neighbour.
    /// Lock-free for the packet path: no packet waits, is lost, or meets a half-built service.
    virtual void apply(std::shared_ptr<const fwd::Snapshot> snapshot) = 0;

    /// Sends one IPv4 packet (header first: a VRRP advert) out of held `ifname`, to `dst` (the VRRP group,
    /// or a unicast peer whose MAC the dataplane resolves). False when it could not be queued.
    virtual bool send_vrrp(const std::string& ifname, std::span<const uint8_t> packet, const conf::Ip& dst) = 0;
    /// Sends one gratuitous ARP for `vip` out of held `ifname` (keepalived's frame).
    virtual bool send_garp(const std::string& ifname, const conf::Ip& vip) = 0;

    /// Moves the exception traffic (kernel ↔ wire) and hands each VRRP advert received to `vrrp`
    /// (interface, IPv4 packet). Returns the frames handled, so the caller can poll again soon.
    using VrrpSink = std::function<void(const std::string& ifname, std::span<const uint8_t> packet)>;
    virtual size_t poll(const VrrpSink& vrrp) = 0;
    /// True when the control loop must call poll() every millisecond (DPDK: its rings and TAPs have no
    /// descriptor to wait on). False when everything arrives on descriptors the loop waits on anyway.
    virtual bool polled() const { return true; }

    /// The capabilities (bits of CAP_* numbers) the dataplane needs once started, beyond what control
    /// keeps for itself (control/privileges.h): vipd drops every other one after start.
    virtual uint64_t capabilities() const { return 0; }

    /// Counters as text (what SIGUSR2 appends to the statistics file).
    virtual std::string stats() const = 0;
};

} // namespace control
