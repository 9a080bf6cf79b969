// The DPDK node's counters as text (SIGUSR2's statistics file).
#include "dataplane/dpdk/control/node.h"
#include "dataplane/fwd/stats.h"

namespace node {

std::string DpdkNode::stats() const
{
    std::string out = "Dataplane dpdk\n";
    uint64_t rx = 0, tx = 0;
    std::array<uint64_t, pkt::verdict_count> verdicts{};
    std::array<uint64_t, pkt::drop_reason_count> drops{};
    for (const auto& w : _workers) {
        const pkt::Counters& c = w->counters();
        rx += pkt::Counters::read(c.rx);
        tx += pkt::Counters::read(c.tx);
        for (unsigned v = 0; v < pkt::verdict_count; ++v) {
            verdicts[v] += pkt::Counters::read(c.verdicts[v]);
        }
        for (unsigned r = 0; r < pkt::drop_reason_count; ++r) {
            drops[r] += pkt::Counters::read(c.drops[r]);
        }
    }
    out += fmt::format(" rx {}\n tx {}\n", rx, tx);
    for (unsigned v = 0; v < pkt::verdict_count; ++v) {
        out += fmt::format(" verdict {} {}\n", pkt::to_string(static_cast<pkt::Verdict>(v)), verdicts[v]);
    }
    for (unsigned r = 1; r < pkt::drop_reason_count; ++r) {
        if (drops[r] != 0) {
            out += fmt::format(" drop {} {}\n", pkt::to_string(static_cast<pkt::DropReason>(r)), drops[r]);
        }
    }
    out += fmt::format(" vrrp_in {}\n vrrp_out {}\n garp_out {}\n to_kernel {}\n from_kernel {}\n arp_learned {}\n arp_locked {}\n"
                       " control_drops {}\n neighbours {}\n arp_probes {}\n arp_forgotten {}\n",
                       _vrrp_in, _vrrp_out, _garp_out, _to_kernel, _from_kernel, _arp_learned, _neighbours.locked(),
                       _control_drops, _neighbours.size(), _arp_probes, _arp_forgotten);
    if (_snapshot) {
        out += fwd::service_stats(_snapshot->services(), [this](uint32_t si, uint32_t b) {
            fwd::BackendTotals t;
            for (const auto& w : _workers) {
                const pkt::LcoreState& lc = w->state();
                const size_t i = size_t{si} * lc.backends_per_service + b;
                if (b >= lc.backends_per_service || i >= lc.backend_counters.size()) {
                    continue;
                }
                const pkt::BackendCounters& c = lc.backend_counters[i];
                t.connections += lc.connections(si, b);
                t.packets_in += pkt::Counters::read(c.packets_in);
                t.packets_out += pkt::Counters::read(c.packets_out);
                t.bytes_in += pkt::Counters::read(c.bytes_in);
                t.bytes_out += pkt::Counters::read(c.bytes_out);
            }
            return t;
        });
    }
    return out;
}

}  // namespace node
