// The health checkers of keepalived's virtual_server/real_server blocks (HTTP_GET, SSL_GET, TCP_CHECK,
// MISC_CHECK), run on the control thread's Boost.Asio loop, and what they decide: which real servers
// are in service with which weight, quorum, and the sorry server, as keepalived 2.2.7's ipwrapper.c does.
#pragma once

#include "conf/model.h"
#include "dataplane/fwd/health.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <vector>

namespace check {

// What the checkers decide is the forwarding model's one health view (dataplane/fwd/health.h).
using RsLive = fwd::RealServerHealth;
using VsLive = fwd::VirtualServerHealth;

/// Runs every checker of a config and keeps live() up to date.
class Manager {
public:
    /// `on_change` runs on the io thread after any change of live(); `on_event`, when set, gets
    /// keepalived's notify-FIFO line of each change (`RS [10.0.0.11]:tcp:80 [10.0.0.100]:tcp:80 DOWN`,
    /// `VS [10.0.0.100]:tcp:80 UP` for the quorum), with its newline.
    Manager(boost::asio::io_context& io, const conf::Config& cfg, std::function<void()> on_change,
            std::function<void(std::string_view)> on_event = {});
    ~Manager();  ///< cancels every timer and socket; running scripts are left to their timeouts
    Manager(const Manager&) = delete;
    Manager& operator=(const Manager&) = delete;

    /// Reload: real servers whose virtual server (address/port/protocol, fwmark or group), address,
    /// port and checkers are unchanged keep their state (up/down, dynamic weight, checker state), and
    /// virtual servers keep their quorum and sorry-server state. Call before start().
    void adopt(const Manager& old);
    void start();
    /// Cancels everything; with omega, runs notify_down of the servers in service and quorum_down, as
    /// keepalived does at shutdown.
    void stop();
    /// One entry per cfg.virtual_servers entry, in order.
    const std::vector<VsLive>& live() const;

    struct Impl;

private:
    std::shared_ptr<Impl> _impl;
};

} // namespace check
