// The virtual servers' counters as text, one layout for every dataplane: what SIGUSR2 appends to the
// statistics file, laid out as `ipvsadm -Ln --stats` lays out the same counters (a service line with
// its real servers' sums, then a line per real server under it).
#pragma once

#include "dataplane/fwd/snapshot.h"

#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace fwd {

/// One real server's counters, summed over the CPUs or lcores that keep them (ipvsadm --stats):
/// connections scheduled to it, packets and bytes (IP lengths) client→server ("in") and, for NAT,
/// server→client ("out").
struct BackendTotals {
    uint64_t connections = 0;
    uint64_t packets_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
};

/// The block for a snapshot's `services`: `of(service position, backend position)` reads one real
/// server's totals. Services and real servers in the snapshot's order (the configuration's).
std::string service_stats(std::span<const Service> services, const std::function<BackendTotals(uint32_t, uint32_t)>& of);

}  // namespace fwd
