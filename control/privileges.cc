// keep_only(): capabilities are a thread's, not a process's (capset(2) and PR_CAPBSET_DROP act on the
// caller), and by the time vipd has started, DPDK's EAL and the dataplane have threads of their own.
// So each thread drops its own: this one directly, every other one in a real-time signal's handler
// (raw system calls only, all async-signal-safe), as glibc's setuid() reaches every thread. Then every
// thread's sets are read back, so a thread that blocks the signal, or one created meanwhile, is an
// error and not a silent root thread.
#include "control/privileges.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace control {

namespace {

constexpr const char* names[] = {
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill",
    "cap_setgid", "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service",
    "cap_net_broadcast", "cap_net_admin", "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module",
    "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace", "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot",
    "cap_sys_nice", "cap_sys_resource", "cap_sys_time", "cap_sys_tty_config", "cap_mknod", "cap_lease",
    "cap_audit_write", "cap_audit_control", "cap_setfcap", "cap_mac_override", "cap_mac_admin", "cap_syslog",
    "cap_wake_alarm", "cap_block_suspend", "cap_audit_read", "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
};

// The highest capability this kernel knows.
int last_cap()
{
    std::ifstream f("/proc/sys/kernel/cap_last_cap");
    int n = CAP_LAST_CAP;
    f >> n;
    return n;
}

// What one thread does to itself; 0 or the errno of the first step that failed.
int drop_self(CapSet keep, int last)
{
    for (int c = 0; c <= last; ++c) {
        if ((keep & cap_bit(c)) == 0 && ::syscall(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL) {
            return errno;
        }
    }
    // An exec as uid 0 no longer fills the permitted set, nothing can be raised to ambient, and
    // neither can be undone.
    const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                               SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                               SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (::syscall(SYS_prctl, PR_SET_SECUREBITS, bits, 0, 0, 0) != 0) {
        return errno;
    }
    if (::syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
        return errno;
    }
    __user_cap_header_struct hdr{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = static_cast<uint32_t>(keep);
    data[1].effective = data[1].permitted = static_cast<uint32_t>(keep >> 32);
    if (::syscall(SYS_capset, &hdr, data) != 0) {
        return errno;
    }
    if (::syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return errno;
    }
    return 0;
}

CapSet g_keep = 0;
int g_last = CAP_LAST_CAP;
std::atomic<int> g_acked{0};
std::atomic<int> g_failed{0};

void on_signal(int)
{
    const int saved = errno;
    if (drop_self(g_keep, g_last) != 0) {
        g_failed.fetch_add(1);
    }
    g_acked.fetch_add(1);
    errno = saved;
}

std::vector<pid_t> threads()
{
    std::vector<pid_t> out;
    if (DIR* d = ::opendir("/proc/self/task"); d != nullptr) {
        while (const dirent* e = ::readdir(d)) {
            if (e->d_name[0] != '.') {
                out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
            }
        }
        ::closedir(d);
    }
    return out;
}

struct ThreadCaps {
    std::string name;
    CapSet inh = 0, prm = 0, eff = 0, bnd = 0, amb = 0;
    bool read = false;
};

ThreadCaps read_caps(pid_t tid)
{
    ThreadCaps t;
    std::ifstream comm(fmt::format("/proc/self/task/{}/comm", tid));
    std::getline(comm, t.name);
    std::ifstream f(fmt::format("/proc/self/task/{}/status", tid));
    std::string key;
    int seen = 0;
    for (std::string line; std::getline(f, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        key = line.substr(0, colon);
        CapSet* into = key == "CapInh" ? &t.inh : key == "CapPrm" ? &t.prm : key == "CapEff" ? &t.eff
                     : key == "CapBnd" ? &t.bnd : key == "CapAmb" ? &t.amb : nullptr;
        if (into != nullptr) {
            *into = std::strtoull(line.c_str() + colon + 1, nullptr, 16);
            ++seen;
        }
    }
    t.read = seen == 5;
    return t;
}

} // namespace

CapSet control_capabilities()
{
    return cap_bit(CAP_NET_ADMIN) | cap_bit(CAP_NET_RAW) | cap_bit(CAP_CHOWN);
}

std::string cap_names(CapSet set)
{
    std::string out;
    for (int c = 0; c < 64; ++c) {
        if ((set & cap_bit(c)) != 0) {
            out += out.empty() ? "" : " ";
            out += c < static_cast<int>(std::size(names)) ? std::string(names[c]) : fmt::format("cap_{}", c);
        }
    }
    return out.empty() ? "none" : out;
}

CapSet effective_capabilities()
{
    __user_cap_header_struct hdr{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capget, &hdr, data) != 0) {
        return 0;
    }
    return CapSet{data[0].effective} | (CapSet{data[1].effective} << 32);
}

vipd::Status keep_only(CapSet keep)
{
    g_last = last_cap();
    const CapSet known = g_last >= 63 ? ~CapSet{0} : (cap_bit(g_last + 1) - 1);
    g_keep = keep & known;
    const int sig = SIGRTMIN + 6;  // glibc keeps the first two for itself; nothing of vipd's uses this one
    struct sigaction sa {}, old {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(sig, &sa, &old) != 0) {
        return vipd::fail(fmt::format("sigaction: {}", std::strerror(errno)));
    }
    if (const int e = drop_self(g_keep, g_last); e != 0) {
        ::sigaction(sig, &old, nullptr);
        return vipd::fail(fmt::format("this thread: {}", std::strerror(e)));
    }
    const pid_t self = static_cast<pid_t>(::syscall(SYS_gettid));
    const pid_t pid = ::getpid();
    // Rounds until every thread is done: one created during a round is found in the next.
    std::string left;
    for (int round = 0; round < 5; ++round) {
        int sent = 0;
        g_acked = 0;
        for (pid_t tid : threads()) {
            const ThreadCaps t = read_caps(tid);
            if (tid == self || !t.read || (t.bnd == g_keep && t.prm == g_keep)) {
                continue;
            }
            if (::syscall(SYS_tgkill, pid, tid, sig) == 0) {
                ++sent;
            }
        }
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (g_acked.load() < sent && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (sent == 0) {
            break;
        }
    }
    ::sigaction(sig, &old, nullptr);
    for (pid_t tid : threads()) {
        const ThreadCaps t = read_caps(tid);
        if (t.read && (t.bnd != g_keep || t.prm != g_keep || t.eff != g_keep || t.inh != 0 || t.amb != 0)) {
            left += fmt::format("{}thread {} ({}): CapPrm {:016x} CapBnd {:016x}", left.empty() ? "" : ", ", tid, t.name,
                                t.prm, t.bnd);
        }
    }
    if (g_failed.load() != 0 || !left.empty()) {
        return vipd::fail(fmt::format("{} thread(s) failed to drop{}{}", g_failed.load(), left.empty() ? "" : "; kept more: ", left));
    }
    return {};
}

} // namespace control
