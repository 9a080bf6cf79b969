// Control's table builder: conf::Config × the checkers' health × the VIPs owned now → one immutable
// fwd::Snapshot that every dataplane applies. The only part of the forwarding model that knows the
// config model; control thread only (allocates, may throw std::bad_alloc).
#pragma once

#include "conf/model.h"
#include "conf/result.h"
#include "dataplane/fwd/health.h"
#include "dataplane/fwd/snapshot.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace fwd {

struct SnapshotInputs {
    std::span<const VirtualServerHealth> health;  // by virtual server; empty: all as configured
    std::span<const uint32_t> owned;              // VIPs owned now (network order)
    Limits limits;
    uint64_t generation = 0;                      // the caller's version number, for logs and tests
};

/// IPv4 virtual servers by address with TCP or UDP are served; fwmark/group/IPv6/SCTP ones and
/// duplicates are listed in Snapshot::skipped(). An error (over the limits, a scheduler that cannot
/// build) builds nothing: the caller keeps what runs.
vipd::Result<std::shared_ptr<const Snapshot>> build_snapshot(const conf::Config& config, const SnapshotInputs& in);

/// An IPv4 conf::Ip as a network-order word (0 for IPv6).
uint32_t ipv4_of(const conf::Ip& ip) noexcept;

}  // namespace fwd
