// A crash must not strand the node: while the DPDK node holds an interface, the interface's own IPv4
// addresses and routes live on its TAP, and the TAP dies with the process. This file keeps them
// recoverable whatever way vipd dies.
//
// - The state file (STATE_DIR/IFNAME.addresses) records them before they move; it is written to a
//   temporary file and renamed, so a crash mid-write leaves the old file or the new one, never half.
// - The guardian is a small process that vipd forks and execs (`vipd --restore-interfaces
//   --guard-fd N`) before DPDK starts any thread. It holds the read end of a pipe whose write end only
//   vipd has (close-on-exec, so no script inherits it); when vipd dies by any signal, by OOM or by an
//   exception, the pipe reads end-of-file and the guardian restores every interface of the state
//   directory within milliseconds, then exits. A clean stop restores the interfaces itself and
//   removes the state files, so the guardian then finds nothing to do.
// - `vipd --restore-interfaces` alone does the same once, for systemd's ExecStopPost after a kill of
//   the whole control group (which takes the guardian too).
// Restoring also detaches what DPDK's net_af_xdp left attached to the interface (the AF_XDP default
// program, xsk_def_prog, attached through netlink and so not gone with the process), and only that.
#pragma once

#include "control/kernel/netlink.h"

#include <string>
#include <utility>
#include <vector>

namespace node {

/// An interface's IPv4 identity as the state file keeps it.
struct SavedInterface {
    std::string tap;  // the TAP that carries them while vipd runs (dies with it)
    std::vector<std::pair<conf::Ip, uint8_t>> addrs;
    std::vector<kernel::Route4> routes;
};

/// Writes STATE_DIR/IFNAME.addresses atomically (temporary file, fsync, rename). Returns an error text,
/// empty on success.
std::string save_interface_state(const std::string& state_dir, const std::string& ifname, const SavedInterface& s);
/// Reads it; lines that do not parse are skipped. Empty when the file is absent.
SavedInterface load_interface_state(const std::string& state_dir, const std::string& ifname);
/// Removes it (a clean stop, or once restored).
void remove_interface_state(const std::string& state_dir, const std::string& ifname);

/// Puts every interface recorded in state_dir back: its addresses and routes (those already there
/// count as done), net_af_xdp's leftover program detached; each restored file is removed. Logs each
/// step; returns the number of interfaces that could not be restored.
int restore_interfaces(const std::string& state_dir);

/// Forks and execs the guardian for state_dir (see above), logging to the console or to syslog as vipd
/// does. Returns an error text, empty on success; *pid is the guardian's PID. Call before any thread
/// starts.
std::string start_guardian(const std::string& state_dir, bool console, int* pid);

/// The guardian's body (`vipd --restore-interfaces --guard-fd FD`): waits for end-of-file on fd, then
/// restore_interfaces(state_dir). Returns the process's exit code.
int run_guardian(int fd, const std::string& state_dir);

}  // namespace node
