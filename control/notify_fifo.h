// keepalived's notify FIFOs (global_defs notify_fifo, vrrp_notify_fifo, lvs_notify_fifo): one line
// per state change of an instance or a sync group, `INSTANCE "VI_1" MASTER 100` / `GROUP "G1" BACKUP 0`
// (keepalived 2.2.7's format: a group's priority is 0), and of a real server or a virtual server's
// quorum, `RS [10.0.0.11]:tcp:80 [10.0.0.100]:tcp:80 DOWN` / `VS [10.0.0.100]:tcp:80 UP`, for a reader
// that keeps one pipe open instead of a script per event. As keepalived: the FIFO is made when missing
// (0644, owned by the user named after it) and removed at exit only if vipd made it; its
// *_notify_fifo_script is started first, with the FIFO's path as its last argument; when vipd stops
// the FIFO closes (the script reads the last lines, then the end of the file), and a script still
// running a moment later gets SIGTERM, as it does when vipd dies.
#pragma once

#include "conf/model.h"
#include "control/process.h"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace control {

class NotifyFifo {
public:
    /// Opens `f` (`keyword` names it in logs: "notify_fifo", "vrrp_notify_fifo"); nullptr, with the
    /// reason logged, when it cannot (keepalived goes on without it too).
    static std::unique_ptr<NotifyFifo> open(boost::asio::io_context& io, const conf::NotifyFifo& f, std::string_view keyword);
    ~NotifyFifo();
    NotifyFifo(const NotifyFifo&) = delete;
    NotifyFifo& operator=(const NotifyFifo&) = delete;

    /// One line, whole or not at all (a line is far under PIPE_BUF): a reader that does not keep up
    /// loses lines; vipd never waits for it.
    void write(std::string_view line) noexcept;
    /// `INSTANCE "name" STATE priority` / `GROUP "name" STATE 0`, with the newline.
    static std::string line(bool group, std::string_view name, std::string_view state, int priority);
    const std::string& path() const noexcept { return _path; }

private:
    NotifyFifo() = default;

    std::string _path;
    int _fd = -1;
    bool _created = false;
    ScriptId _script = 0;  // the reader script; 0: none
};

}  // namespace control
