// What vipd keeps of root once it has started (review M12): the capabilities its sockets and its
// dataplane need from then on, in every thread, and no way to regain the rest (the bounding set
// shrinks, SECBIT_NOROOT is locked so that an exec as uid 0 gets no capability, no_new_privs is set).
// Scripts still run as keepalived runs them, from the script broker started before (control/process.h).
#pragma once

#include "conf/result.h"

#include <cstdint>
#include <string>

namespace control {

/// A set of capabilities, bit N for CAP number N (<linux/capability.h>).
using CapSet = uint64_t;

constexpr CapSet cap_bit(int cap) { return CapSet{1} << cap; }

/// What the control thread needs after start whatever the dataplane: CAP_NET_ADMIN (VIPs, routes and
/// nftables by netlink, interfaces), CAP_NET_RAW (VRRP's raw sockets and gratuitous ARP's packet
/// sockets, opened again at each reload) and CAP_CHOWN (a notify FIFO made for its script's user).
CapSet control_capabilities();

/// Keeps `keep` and nothing else in every thread of this process (the others run a signal handler
/// that does it on themselves), then reads every thread's sets back from /proc/self/task. Why not, when
/// a thread could not be reached or kept more.
vipd::Status keep_only(CapSet keep);

/// "cap_chown cap_net_admin ...", for the log.
std::string cap_names(CapSet set);

/// This thread's effective set (the tests).
CapSet effective_capabilities();

} // namespace control
