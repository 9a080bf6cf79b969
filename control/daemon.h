// The vipd daemon: one control thread running a Boost.Asio loop that owns the VRRP
// engine, its sockets and timers, track scripts and interfaces, notify scripts, signals and reloads.
#pragma once

#include "control/dataplane.h"

#include <string>

namespace control {

struct DaemonOptions {
    std::string config_path;
    std::string config_id;
    std::string pid_file;
    std::string stats_file = "/tmp/vipd.stats";  // written on SIGUSR2, as keepalived writes keepalived.stats
    bool console_log = false;
    bool detail = false;
    Dataplane* dataplane = nullptr;  // required: kernel mode passes kernel::make_kernel_dataplane()
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int run_daemon(const DaemonOptions& opts);

} // namespace control
