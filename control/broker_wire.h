// What vipd and its script broker (`vipd-script --broker`, control/app/script_exec.cc) say to each other
// over their SOCK_SEQPACKET pair: one message per datagram, a fixed header and, for `run`, the script's
// file and argv as NUL-terminated strings. vipd sends run/kill/stop; the broker answers started and
// exited. Ids are vipd's; the broker acts only on the ids of children it has and has not yet reaped,
// so a reused pid is never signalled.
#pragma once

#include <cstddef>
#include <cstdint>

namespace control::broker {

enum class Op : uint32_t {
    run = 1,      // arg: the signal the script gets if vipd dies (0: none); uid, gid; payload: FILE ARGV0 ARG...
    kill = 2,     // arg: the signal for the script's process group
    stop = 3,     // arg: milliseconds of grace: SIGTERM to the process group unless it ended by then
    started = 4,  // arg: the script's pid, which is its process group's; 0 when it could not start
    exited = 5,   // arg: the wait status
};

struct Header {
    Op op;
    int32_t arg;
    uint64_t id;
    uint32_t uid;
    uint32_t gid;
};
static_assert(sizeof(Header) == 24);

constexpr size_t max_message = 64 * 1024;

} // namespace control::broker
