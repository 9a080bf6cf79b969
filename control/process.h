// Runs notify and track scripts without blocking the control thread: fork/exec (dropping to the
// script user), then the child's pidfd waited on by Boost.Asio; a timeout kills the script's process group. Scripts run as the
// configured script user with a clean environment, as keepalived runs them.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace control {

struct ScriptResult {
    bool spawned = false;
    bool timed_out = false;
    int exit_status = -1;  // WEXITSTATUS, or 128+signal
};

// Spawns `command` through /bin/sh -c (keepalived passes quoted arguments the same way), as `user`
// (empty: the current user). `done` runs on the io_context's thread when the script ends.
void run_script(boost::asio::io_context& io, const std::string& command, const std::string& user,
                std::chrono::milliseconds timeout, std::function<void(ScriptResult)> done);

} // namespace control
