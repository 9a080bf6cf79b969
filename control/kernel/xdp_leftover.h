// What is attached to an interface's XDP hook, and the one foreign program vipd removes: the AF_XDP
// redirect program (xsk_def_prog) that DPDK's net_af_xdp attaches through netlink, which outlives a
// DPDK process killed by a signal. Used by the DPDK node's guardian and restore, and by the XDP node
// before it attaches (libbpf and libxdp; control thread).
#pragma once

#include <cstdint>
#include <string>

namespace kernel {

/// The program on ifindex's XDP hook (any mode), by the kernel's answer; id 0: none.
struct AttachedXdp {
    uint32_t id = 0;
    std::string name;  // the kernel's name of it (at most 15 characters)
    std::string mode;  // "native", "generic", "offload" or "multi"
};
AttachedXdp attached_xdp(int ifindex);

/// True when what is attached is net_af_xdp's leftover: xsk_def_prog alone, or libxdp's dispatcher
/// running only xsk_def_prog.
bool is_af_xdp_leftover(int ifindex);

/// Detaches net_af_xdp's leftover from ifindex. Returns what it did, for the log (empty: nothing was
/// attached); any other program is left alone (and said so).
std::string detach_af_xdp_leftover(int ifindex);

}  // namespace kernel
