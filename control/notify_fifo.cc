// Notify FIFOs (see notify_fifo.h).
#include "control/notify_fifo.h"

#include "control/log.h"
#include "control/process.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace control {

std::unique_ptr<NotifyFifo> NotifyFifo::open(boost::asio::io_context& io, const conf::NotifyFifo& f, std::string_view keyword)
{
    std::unique_ptr<NotifyFifo> n(new NotifyFifo());
    n->_path = f.path;
    if (::mkfifo(f.path.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH) == 0) {
        n->_created = true;
        // The owner named after it (keepalived: else the default script user, which is root here).
        if (!f.user.empty()) {
            const passwd* pw = ::getpwnam(f.user.c_str());
            const group* gr = f.group.empty() ? nullptr : ::getgrnam(f.group.c_str());
            if (pw == nullptr || (!f.group.empty() && gr == nullptr) ||
                ::chown(f.path.c_str(), pw->pw_uid, gr != nullptr ? gr->gr_gid : pw->pw_gid) != 0) {
                vlog::info("Failed to set uid:gid for fifo {}", f.path);
            }
        }
    } else if (errno != EEXIST) {
        vlog::info("Unable to create {} {}: {}", keyword, f.path, std::strerror(errno));
        return nullptr;
    }
    // The reader first, so that it is there for the first line.
    if (f.script.exec) {
        n->_script = run_script(io, *f.script.exec, {f.path}, std::chrono::hours(24 * 365 * 10),
                                [keyword = std::string(keyword)](ScriptResult) { vlog::info("{} script terminated", keyword); },
                                /*die_with_vipd=*/true);
    }
    // Read-write, as keepalived opens it: the open does not wait for a reader, and a write with no
    // reader yet is not a SIGPIPE.
    n->_fd = ::open(f.path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (n->_fd < 0) {
        vlog::info("Unable to open {} {} - errno {}", keyword, f.path, errno);
        return nullptr;  // the destructor stops the script and removes what was made
    }
    struct stat st {};
    if (::fstat(n->_fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        vlog::info("{} {} is not a FIFO", keyword, f.path);
        return nullptr;
    }
    vlog::info("{}: state changes to {}{}", keyword, f.path, f.script.exec ? ", read by " + f.script.text : "");
    return n;
}

NotifyFifo::~NotifyFifo()
{
    // The FIFO closes first, so that its reader reads what is left of the last lines (the STOP ones at
    // exit) and meets the end of the file; a reader still there a moment later gets SIGTERM.
    if (_fd >= 0) {
        ::close(_fd);
    }
    if (_script != 0) {
        stop_script(_script, std::chrono::milliseconds(200));
    }
    if (_created) {
        ::unlink(_path.c_str());
    }
}

void NotifyFifo::write(std::string_view line) noexcept
{
    if (_fd >= 0 && ::write(_fd, line.data(), line.size()) < 0) {
        // EAGAIN: the pipe is full (no reader, or a slow one): the line is lost, as keepalived's.
    }
}

std::string NotifyFifo::line(bool group, std::string_view name, std::string_view state, int priority)
{
    std::string s = group ? "GROUP \"" : "INSTANCE \"";
    s.append(name);
    s.append("\" ");
    s.append(state);
    s.push_back(' ');
    s.append(std::to_string(priority));
    s.push_back('\n');
    return s;
}

}  // namespace control
