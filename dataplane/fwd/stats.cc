// The virtual servers' counters as text (stats.h).
#include "dataplane/fwd/stats.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace fwd {
namespace {

std::string endpoint(uint32_t ip, uint16_t port)
{
    const uint32_t h = ntohl(ip);
    return fmt::format("{}.{}.{}.{}:{}", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff, ntohs(port));
}

// ipvsadm's columns: the address left-aligned to 33 characters, then five counters 8 wide.
std::string line(const std::string& what, const BackendTotals& t)
{
    return fmt::format("{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n", what, t.connections, t.packets_in, t.packets_out,
                       t.bytes_in, t.bytes_out);
}

}  // namespace

std::string service_stats(std::span<const Service> services, const std::function<BackendTotals(uint32_t, uint32_t)>& of)
{
    std::string out = fmt::format("Virtual servers {}\n{:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n  -> RemoteAddress:Port\n",
                                  services.size(), "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes",
                                  "OutBytes");
    for (uint32_t si = 0; si < services.size(); ++si) {
        const Service& s = services[si];
        std::vector<BackendTotals> each;
        BackendTotals sum;
        for (uint32_t b = 0; b < s.backends.size(); ++b) {
            const BackendTotals t = of(si, b);
            sum.connections += t.connections;
            sum.packets_in += t.packets_in;
            sum.packets_out += t.packets_out;
            sum.bytes_in += t.bytes_in;
            sum.bytes_out += t.bytes_out;
            each.push_back(t);
        }
        const char* proto = s.proto == IPPROTO_TCP ? "TCP" : s.proto == IPPROTO_UDP ? "UDP" : "?";
        out += line(fmt::format("{:<4} {}", proto, endpoint(s.vip, s.port)), sum);
        for (uint32_t b = 0; b < s.backends.size(); ++b) {
            out += line("  -> " + endpoint(s.backends[b].ip, s.backends[b].port), each[b]);
        }
    }
    return out;
}

}  // namespace fwd
