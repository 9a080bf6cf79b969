// What an interface's XDP hook holds, and net_af_xdp's leftover removed (xdp_leftover.h).
#include "control/kernel/xdp_leftover.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <fmt/format.h>

#include <cstring>
#include <unistd.h>

namespace kernel {
namespace {

// net_af_xdp's default program (libxdp's and libbpf's xsk_def_prog) is the only program vipd ever
// detaches: anything else on the interface is someone else's.
constexpr const char* af_xdp_program = "xsk_def_prog";

// Whether the multiprog on the hook is only xsk_def_prog (legacy attach or libxdp's dispatcher).
bool only_af_xdp(xdp_multiprog* mp)
{
    if (xdp_multiprog__is_legacy(mp)) {
        xdp_program* main = xdp_multiprog__main_prog(mp);
        return main != nullptr && std::strcmp(xdp_program__name(main), af_xdp_program) == 0;
    }
    bool ours = xdp_multiprog__program_count(mp) > 0;
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p != nullptr; p = xdp_multiprog__next_prog(p, mp)) {
        ours = ours && std::strcmp(xdp_program__name(p), af_xdp_program) == 0;
    }
    return ours;
}

}  // namespace

AttachedXdp attached_xdp(int ifindex)
{
    AttachedXdp out;
    // LIBBPF_OPTS is a C statement expression (clang -Wpedantic refuses it); spelled out for C++.
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    if (bpf_xdp_query(ifindex, 0, &q) != 0 || q.prog_id == 0) {
        return out;
    }
    out.id = q.prog_id;
    switch (q.attach_mode) {
    case XDP_ATTACHED_DRV:
        out.mode = "native";
        break;
    case XDP_ATTACHED_SKB:
        out.mode = "generic";
        break;
    case XDP_ATTACHED_HW:
        out.mode = "offload";
        break;
    default:
        out.mode = "multi";
        break;
    }
    const int fd = bpf_prog_get_fd_by_id(q.prog_id);
    if (fd >= 0) {
        bpf_prog_info info{};
        uint32_t len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
            out.name = info.name;
        }
        ::close(fd);
    }
    return out;
}

bool is_af_xdp_leftover(int ifindex)
{
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (mp == nullptr || libxdp_get_error(mp) != 0) {
        return false;
    }
    const bool ours = only_af_xdp(mp);
    xdp_multiprog__close(mp);
    return ours;
}

// Detaches the AF_XDP default program a dead DPDK left on ifindex, alone or as the dispatcher's only
// component. Returns what it did, for the log (empty: nothing was attached).
std::string detach_af_xdp_leftover(int ifindex)
{
    xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
    if (mp == nullptr || libxdp_get_error(mp) != 0) {
        return {};
    }
    std::string done;
    if (only_af_xdp(mp)) {
        const int rc = xdp_multiprog__detach(mp);
        done = rc == 0 ? fmt::format("net_af_xdp's leftover {} detached", af_xdp_program)
                       : fmt::format("cannot detach net_af_xdp's leftover {}: {}", af_xdp_program, std::strerror(-rc));
    } else {
        done = "an XDP program that is not net_af_xdp's is attached: left alone";
    }
    xdp_multiprog__close(mp);
    return done;
}

}  // namespace kernel
