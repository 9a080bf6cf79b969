// vipd-script: how vipd starts every script (notify, track, MISC_CHECK, quorum; review M6). vipd
// posix_spawn()s this small program, a vfork of the control thread: no copy of vipd's page tables,
// so the lcores never fault on pages a child would share, and nothing of vipd runs in a half-made
// child. It takes the script's user and group, as keepalived 2.2.7's set_privileges does, then
// becomes the script.
//
//   vipd-script UID GID PDEATHSIG PARENT FILE ARGV0 [ARG...]
//
// As root: the supplementary groups become GID alone, then GID, then UID; run by anyone else (an
// unprivileged vipd, the tests) it stays who it is. PDEATHSIG (0: none) is sent to the script if vipd
// (PARENT) dies; it is set after the change of user, which clears it, and a vipd already gone ends
// it at once. A FILE without `#!` runs through /bin/sh, as execvp does. Exit 126: the script could
// not be run; 127: FILE does not exist. The environment is the one vipd gave (PATH alone).
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <grp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <vector>

namespace {

bool number(const char* s, unsigned long& out)
{
    char* end = nullptr;
    errno = 0;
    out = std::strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

}  // namespace

int main(int argc, char** argv)
{
    unsigned long uid = 0, gid = 0, sig = 0, parent = 0;
    if (argc < 7 || !number(argv[1], uid) || !number(argv[2], gid) || !number(argv[3], sig) ||
        !number(argv[4], parent)) {
        return 126;
    }
    const gid_t g = static_cast<gid_t>(gid);
    if (::geteuid() == 0 &&
        (::setgroups(1, &g) != 0 || ::setgid(g) != 0 || ::setuid(static_cast<uid_t>(uid)) != 0)) {
        return 126;
    }
    if (sig != 0 && (::prctl(PR_SET_PDEATHSIG, static_cast<int>(sig)) != 0 ||
                     ::getppid() != static_cast<pid_t>(parent))) {
        return 126;  // vipd died before the signal was armed
    }
    const char* file = argv[5];
    char** script_argv = argv + 6;
    ::execv(file, script_argv);
    if (errno == ENOEXEC) {
        std::vector<char*> sh{const_cast<char*>("/bin/sh"), const_cast<char*>(file)};
        for (char** a = script_argv + 1; *a != nullptr; ++a) {
            sh.push_back(*a);
        }
        sh.push_back(nullptr);
        ::execv("/bin/sh", sh.data());
    }
    return errno == ENOENT ? 127 : 126;
}
