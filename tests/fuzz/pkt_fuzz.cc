// libFuzzer target: the packet path (pkt::process, as the lcores run it) over the golden node's
// forwarding table, read from its keepalived.conf by the real parser and builder. An input is a
// sequence of frames, each [length: 2 bytes][ms since the one before: 1 byte][headroom: 1 byte]
// [bytes], run against one fresh lcore state, so a flow, a fragment's cache entry or an ICMP bucket
// made by one frame meets the frames after it. Each frame lies at the very end of a heap buffer of
// exactly headroom + length bytes (the headroom 0 to 255: TUN and ICMP errors need some), so a read
// past either end is ASan's to see; prefetch_flows() sees it first, as in a burst. Invariants:
// whatever the verdict, the frame that goes out lies inside that buffer (grown only into the
// headroom) and is at least an Ethernet header; a drop names its reason and nothing else does;
// nothing is sent on a port the node does not have; and the checksums hold: a forwarded IPv4 frame
// whose IP and L4 checksums were right still has them right after its rewrite (NAT, the ICMP relay's
// translation, TUN's outer header: each updated incrementally, judged here by a full sum), and an
// ICMP error the node builds is right whatever it quotes.
//
// The golden fixtures' frames seed it: LLVMFuzzerInitialize writes each fixture's steps, in this
// format, into the corpus folders named on the command line (`pkt-seed-NAME`), so the fuzzer starts
// from every path the contract proves (ARP, DR, NAT both ways, TUN, ICMP, fragments, drops).
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "dataplane/wire/checksum.h"
#include "tests/fuzz/require.h"
#include "tests/golden/config.h"
#include "tests/golden/fixtures.h"
#include "tests/golden/setup.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {

void require(bool ok, const char* what) { fuzz::require(ok, "pkt_fuzz", what); }

// The checksums of an Ethernet + IPv4 frame by full sums (RFC 1071): `judged` when it is IPv4 with
// a whole header and total length; L4 (TCP, UDP, ICMP) judged on an unfragmented datagram only.
struct Sums {
    bool judged = false;
    bool ok = false;
};
Sums sums_of(const uint8_t* p, size_t len)
{
    Sums s;
    if (len < 14 + 20 || p[12] != 0x08 || p[13] != 0x00) {
        return s;
    }
    const uint8_t* ip = p + 14;
    const uint32_t hlen = (ip[0] & 15u) * 4;
    const uint32_t total = uint32_t{ip[2]} << 8 | ip[3];
    if ((ip[0] >> 4) != 4 || hlen < 20 || total < hlen || 14 + total > len) {
        return s;
    }
    s.judged = true;
    s.ok = wire::ipv4_checksum_ok(ip, hlen);
    const bool fragment = ((uint32_t{ip[6]} << 8 | ip[7]) & 0x3fff) != 0;
    const uint8_t proto = ip[9];
    const uint8_t* l4 = ip + hlen;
    const uint32_t l4len = total - hlen;
    if (fragment) {
        return s;
    }
    if ((proto == 6 && l4len >= 20) || (proto == 17 && l4len >= 8)) {
        if (proto == 17 && l4[6] == 0 && l4[7] == 0) {
            return s;  // UDP without a checksum
        }
        uint32_t sum = wire::csum_add(0, ip + 12, 8);  // the pseudo-header: addresses, protocol, length
        sum += proto;
        sum += l4len;
        s.ok = s.ok && wire::csum_fold(wire::csum_add(sum, l4, l4len)) == 0xffff;
    } else if (proto == 1 && l4len >= 8) {
        s.ok = s.ok && wire::csum_fold(wire::csum_add(0, l4, l4len)) == 0xffff;
    }
    return s;
}

const fwd::Table& table()
{
    static const std::unique_ptr<const fwd::Table> t = [] {
        const golden::Setup s = golden::setup();
        fwd::BuildResult b = golden::build_table(s.config, s.node);
        require(b.table != nullptr, "the golden setup does not build");
        return std::move(b.table);
    }();
    return *t;
}

std::vector<uint8_t> seed_of(const golden::Fixture& f)
{
    std::vector<uint8_t> out;
    for (const golden::Step& s : f.steps) {
        const size_t n = std::min<size_t>(s.input.size(), 0xffff);
        out.push_back(static_cast<uint8_t>(n >> 8));
        out.push_back(static_cast<uint8_t>(n));
        out.push_back(static_cast<uint8_t>(std::min<uint32_t>(s.after_ms, 255)));
        out.push_back(128);  // an mbuf's headroom (RTE_PKTMBUF_HEADROOM)
        out.insert(out.end(), s.input.begin(), s.input.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    (void)table();
    for (int i = 1; i < *argc; ++i) {
        const char* arg = (*argv)[i];
        std::error_code ec;
        if (arg[0] == '-' || !std::filesystem::is_directory(arg, ec)) {
            continue;
        }
        for (const golden::Fixture& f : golden::fixtures()) {
            const std::vector<uint8_t> seed = seed_of(f);
            std::ofstream(std::filesystem::path(arg) / ("pkt-seed-" + f.name), std::ios::binary)
                .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const fwd::Table& t = table();
    pkt::LcoreState lc(pkt::Limits{.flows = 256, .services = 32, .backends = 16}, flow::Timeouts::ipvs_defaults(1000));
    uint64_t now = 0;
    size_t at = 0;
    for (int frames = 0; at + 4 <= size && frames < 64; ++frames) {
        const size_t want = (size_t{data[at]} << 8) | data[at + 1];
        now += data[at + 2];
        const uint32_t headroom = data[at + 3];
        at += 4;
        const size_t len = std::min(want, size - at);
        // Exactly headroom + len bytes: the frame ends where the allocation does.
        std::unique_ptr<uint8_t[]> buf(new uint8_t[headroom + len]);
        std::memset(buf.get(), 0xa5, headroom);
        if (len != 0) {
            std::memcpy(buf.get() + headroom, data + at, len);
        }
        at += len;
        const Sums in = sums_of(buf.get() + headroom, len);
        pkt::Frame f{.data = buf.get() + headroom, .len = static_cast<uint32_t>(len), .headroom = headroom, .port = 0,
                     .hop = 0};
        pkt::prefetch_flows(lc, &f, 1);
        const pkt::Result r = pkt::process(t, lc, f, now);
        require((r.verdict == pkt::Verdict::drop) == (r.reason != pkt::DropReason::none),
                "a drop without a reason, or a reason on a frame that was not dropped");
        require(static_cast<unsigned>(r.verdict) < pkt::verdict_count, "a verdict outside the list");
        if (r.verdict != pkt::Verdict::drop) {
            // It grows only to the front (TUN's header, an ICMP error about a small packet).
            require(f.data >= buf.get() && f.data + f.len <= buf.get() + headroom + len,
                    "the frame out lies outside its buffer");
            require(f.data - buf.get() == static_cast<std::ptrdiff_t>(f.headroom), "headroom and data disagree");
            require(f.len >= 14, "a frame out shorter than an Ethernet header");
        }
        if (r.verdict == pkt::Verdict::forward || r.verdict == pkt::Verdict::reply || r.verdict == pkt::Verdict::solicit) {
            require(r.port < 1, "sent on a port the golden node does not have");
        }
        const Sums out = sums_of(f.data, f.len);
        if (r.verdict == pkt::Verdict::forward && in.judged && in.ok && out.judged) {
            require(out.ok, "a forwarded frame's checksums were right and are not after its rewrite");
        }
        if (r.verdict == pkt::Verdict::reply && out.judged) {
            require(out.ok, "an ICMP error built with a wrong checksum");
        }
    }
    return 0;
}
