// One vipd per config and per interface: two daemons holding the same VIPs fight over them (each
// adds, the other's FAULT removes), so a second one must refuse to start. The pid file is also the
// lock (as keepalived's is): open without following a link, flock'ed, truncated and rewritten; it is
// removed when its holder ends. Each interface an instance runs on gets a lock of its own, keyed by
// the network namespace too, so that nodes in different namespaces with the same interface names
// (the lab) do not collide. All descriptors are close-on-exec: a script never holds a lock.
#pragma once

#include <string>

namespace control {

class LockFile {
public:
    LockFile() = default;
    ~LockFile();
    LockFile(LockFile&& o) noexcept;
    LockFile& operator=(LockFile&& o) noexcept;
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;

    /// Takes the lock on path (created 0644 if missing; its directory too). On failure the result is
    /// not held() and error says why: "held by PID N" when another process has it. With pid_file the
    /// file then holds this process's PID and is removed when the lock is released.
    static LockFile take(const std::string& path, bool pid_file, std::string& error);

    bool held() const noexcept { return _fd >= 0; }

private:
    int _fd = -1;
    std::string _path;
    bool _pid_file = false;
};

/// The lock file of an interface name in this process's network namespace.
std::string interface_lock_path(const std::string& ifname);

}  // namespace control
