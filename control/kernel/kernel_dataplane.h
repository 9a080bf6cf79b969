// Kernel mode as a Dataplane: the kernel keeps every interface, VIPs go on them by rtnetlink and VRRP
// runs on raw sockets (kernel::VrrpIo, which sends on its own sockets for every interface no
// dataplane holds), and nothing is forwarded: this kernel has no IPVS, so a virtual_server is
// checked and listed but not served (as keepalived without IPVS). The third dataplane beside DPDK
// and XDP, so the daemon never asks whether there is one.
#pragma once

#include "control/dataplane.h"

#include <memory>

namespace kernel {

// holds() is false for every interface and kernel_name() the interface itself, so VrrpIo puts the VIPs
// on the named interfaces and runs VRRP on its raw sockets; forwards() false (no snapshot is built,
// no checker runs), polled() false (the sockets are waited on by the control loop), start/stop and
// apply do nothing.
std::unique_ptr<control::Dataplane> make_kernel_dataplane();

} // namespace kernel
