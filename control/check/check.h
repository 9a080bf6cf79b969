// The health checkers of keepalived's virtual_server/real_server blocks (HTTP_GET, SSL_GET, TCP_CHECK,
// MISC_CHECK), run on the control thread's Boost.Asio loop, and what they decide: which real servers
// are in service with which weight, quorum, and the sorry server, as keepalived 2.2.7's ipwrapper.c does.
#pragma once

#include "conf/model.h"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace check {

/// One real server as the forwarding table should hold it.
struct RsLive {
    uint32_t weight = 0;  ///< effective weight to publish (0 while inhibited)
    bool up = true;       ///< in the pool at all (false: removed)
};

/// One virtual server: its real servers in the config's order, the sorry server and the quorum.
/// While `sorry` is true every real server is out of the pool (or at weight 0 with inhibit_on_failure),
/// as keepalived removes the remaining alive servers when it brings the sorry server in.
struct VsLive {
    std::vector<RsLive> rs;
    bool sorry = false;   ///< the sorry_server is in service
    bool quorum = true;
};

/// Runs every checker of a config and keeps live() up to date.
class Manager {
public:
    /// `on_change` runs on the io thread after any change of live().
    Manager(boost::asio::io_context& io, const conf::Config& cfg, std::function<void()> on_change);
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
