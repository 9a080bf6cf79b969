// Pid file and interface locks: see lock_file.h.
#include "control/lock_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace control {

LockFile::~LockFile()
{
    if (_fd < 0) {
        return;
    }
    // Unlinked while still locked, so a newcomer cannot lock the old inode after we let go.
    if (_pid_file) {
        ::unlink(_path.c_str());
    }
    ::close(_fd);
}

LockFile::LockFile(LockFile&& o) noexcept : _fd(o._fd), _path(std::move(o._path)), _pid_file(o._pid_file)
{
    o._fd = -1;
}

LockFile& LockFile::operator=(LockFile&& o) noexcept
{
    if (this != &o) {
        LockFile gone(std::move(*this));
        _fd = o._fd;
        _path = std::move(o._path);
        _pid_file = o._pid_file;
        o._fd = -1;
    }
    return *this;
}

LockFile LockFile::take(const std::string& path, bool pid_file, std::string& error)
{
    LockFile l;
    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) {
        std::filesystem::create_directories(dir, ec);
    }
    // A pid file that is replaced between open and flock (its holder exiting) is opened again.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
            error = fmt::format("{}: {}", path, std::strerror(errno));
            return l;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            char buf[32] = {};
            const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
            ::close(fd);
            const int holder = n > 0 ? std::atoi(buf) : 0;
            error = err == EWOULDBLOCK ? (holder > 0 ? fmt::format("{} is held by PID {}", path, holder) : fmt::format("{} is held", path))
                                       : fmt::format("{}: {}", path, std::strerror(err));
            return l;
        }
        struct stat by_fd {}, by_name {};
        if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_name) != 0 || by_fd.st_ino != by_name.st_ino ||
            by_fd.st_dev != by_name.st_dev) {
            ::close(fd);
            continue;
        }
        l._fd = fd;
        l._path = path;
        l._pid_file = pid_file;
        if (pid_file) {
            const std::string text = fmt::format("{}\n", ::getpid());
            if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
                error = fmt::format("{}: cannot write the pid: {}", path, std::strerror(errno));
                return LockFile{};
            }
        }
        return l;
    }
    error = fmt::format("{}: replaced while being locked", path);
    return l;
}

std::string interface_lock_path(const std::string& ifname)
{
    struct stat ns {};
    const auto id = ::stat("/proc/self/ns/net", &ns) == 0 ? static_cast<unsigned long long>(ns.st_ino) : 0ULL;
    return fmt::format("/run/vipd/lock/net{}-{}", id, ifname);
}

}  // namespace control
