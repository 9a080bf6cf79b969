// track_file: keepalived 2.2.7's arithmetic and parsing, and the inotify watcher behind them.
#include "control/track_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace control {

namespace {
constexpr int fault_status = -254;  // keepalived: a status this low means FAULT
constexpr int max_status = 253;

std::optional<std::string> real_path(const std::string& p)
{
    char* r = ::realpath(p.c_str(), nullptr);
    if (r == nullptr) {
        return std::nullopt;
    }
    std::string s(r);
    std::free(r);
    return s;
}
} // namespace

FileEffect track_file_effect(int64_t value, int weight, bool reverse)
{
    if (weight == 0) {
        const bool fault = (value != 0) == !reverse;
        return {.fault = fault, .delta = 0, .status = fault ? fault_status : 0};
    }
    const int64_t product = value * weight * (reverse ? -1 : 1);  // |value| < 2^31, |weight| <= 254: no overflow
    const int status = static_cast<int>(std::clamp<int64_t>(product, fault_status, max_status));
    if (status == fault_status) {
        return {.fault = true, .delta = 0, .status = status};
    }
    return {.fault = false, .delta = status, .status = status};
}

std::optional<int64_t> parse_track_value(std::string_view text)
{
    // keepalived reads at most 127 bytes and hands them to strtol(buf, NULL, 0).
    const std::string buf(text.substr(0, 127));
    errno = 0;
    const long long v = std::strtoll(buf.c_str(), nullptr, 0);
    if (errno != 0 || v < INT_MIN || v > INT_MAX) {
        return std::nullopt;
    }
    return v;
}

std::optional<int64_t> read_track_file(const std::string& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    std::array<char, 128> buf{};
    const ssize_t n = ::read(fd, buf.data(), buf.size() - 1);
    ::close(fd);
    if (n <= 0) {
        return 0;
    }
    return parse_track_value(std::string_view(buf.data(), static_cast<size_t>(n)));
}

TrackFileWatcher::TrackFileWatcher() : _fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) {}

TrackFileWatcher::~TrackFileWatcher()
{
    if (_fd >= 0) {
        ::close(_fd);
    }
}

bool TrackFileWatcher::add(const std::string& name, const std::string& path, std::string& error)
{
    if (_fd < 0) {
        error = "Unable to monitor track files";
        return false;
    }
    std::string resolved;
    if (auto r = real_path(path)) {
        resolved = *r;
    } else if (errno == ENOENT) {
        // The file may come later: resolve and watch its directory.
        const auto slash = path.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
        const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
        auto rd = real_path(dir);
        struct stat st {};
        if (!rd || ::stat(rd->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            error = fmt::format("Track file directory for {} does not exist - removing", name);
            return false;
        }
        resolved = (*rd == "/" ? std::string() : *rd) + "/" + base;
    } else {
        error = fmt::format("track file {} is not accessible - ignoring", name);
        return false;
    }
    const auto slash = resolved.rfind('/');
    const std::string dir = slash == 0 ? "/" : resolved.substr(0, slash);
    const int wd = ::inotify_add_watch(_fd, dir.c_str(), IN_CLOSE_WRITE | IN_DELETE | IN_MOVE);
    if (wd < 0) {
        error = fmt::format("track file {}: cannot watch {}: {}", name, dir, std::strerror(errno));
        return false;
    }
    _files.push_back({.name = name, .path = resolved, .base = resolved.substr(slash + 1), .wd = wd});
    return true;
}

std::string TrackFileWatcher::path_of(const std::string& name) const
{
    for (const auto& f : _files) {
        if (f.name == name) {
            return f.path;
        }
    }
    return {};
}

std::vector<TrackFileWatcher::Change> TrackFileWatcher::read_events()
{
    std::vector<Change> out;
    alignas(inotify_event) std::array<char, 16 * (sizeof(inotify_event) + NAME_MAX + 1)> buf{};
    bool overflow = false;
    for (;;) {
        const ssize_t n = ::read(_fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;  // EAGAIN: drained
        }
        for (ssize_t off = 0; off + static_cast<ssize_t>(sizeof(inotify_event)) <= n;) {
            inotify_event ev{};
            std::memcpy(&ev, buf.data() + off, sizeof ev);
            const char* name = buf.data() + off + sizeof(inotify_event);
            const std::string_view base = ev.len > 0 ? std::string_view(name, ::strnlen(name, ev.len)) : std::string_view();
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev.len);
            if ((ev.mask & IN_Q_OVERFLOW) != 0) {
                overflow = true;
                continue;
            }
            if ((ev.mask & IN_ISDIR) != 0 || (ev.mask & (IN_DELETE | IN_CLOSE_WRITE | IN_MOVE)) == 0) {
                continue;
            }
            for (const auto& f : _files) {
                if (f.wd != ev.wd || f.base != base) {
                    continue;
                }
                if ((ev.mask & (IN_MOVED_FROM | IN_DELETE)) != 0) {
                    out.push_back({.name = f.name, .value = 0});  // gone: keepalived treats it as 0
                } else {
                    out.push_back({.name = f.name, .value = read_track_file(f.path)});
                }
            }
        }
    }
    if (overflow) {  // the kernel dropped events: read every file again
        for (const auto& f : _files) {
            out.push_back({.name = f.name, .value = read_track_file(f.path)});
        }
    }
    return out;
}

} // namespace control
