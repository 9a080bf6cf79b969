// Suite `bpf`: vipd's XDP program run in-process with BPF_PROG_TEST_RUN over the golden node and
// configuration (tests/golden), checked two ways: every golden fixture that the program covers gives
// its verdict, drop reason (the per-CPU counters) and exact output bytes, the others are listed with
// the reason they are not run; and generated frames give the same verdict, reason and bytes as the
// C++ packet path (pkt::process) over the same table. Needs bpf() (root or CAP_BPF): exits 77 (skip)
// only when the kernel refuses bpf() with EPERM.
#include "bpf/control/loader.h"
#include "dataplane/dpdk/datapath/pkt/process.h"
#include "dataplane/dpdk/datapath/table.h"
#include "dataplane/wire/headers.h"
#include "tests/golden/builder.h"
#include "tests/golden/fixtures.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>

namespace {

using golden::Bytes;
using golden::ip;
using golden::net;

// BPF_PROG_TEST_RUN delivers every frame on the loopback device: fwd port p is ifindex p + 1, so
// the golden node's port 0 is where the frames arrive and leave (XDP_TX).
constexpr uint32_t ifindex_of(uint16_t port) { return uint32_t{port} + 1; }

fwd::Inputs golden_inputs()
{
    const golden::Node n = golden::node();
    fwd::Inputs in;
    in.ports.resize(n.ports);
    in.ports[0] = {.mac = n.port_mac, .ip = net(n.port_ip), .prefix = n.prefix, .mtu = n.mtu};
    for (const auto& [dst, prefix] : n.via_gateway) {
        in.routes.push_back({.dst = net(dst), .prefix = prefix, .port = 0, .gateway = net(n.gateway)});
    }
    for (uint32_t a : n.owned) {
        in.owned.push_back(net(a));
    }
    for (const auto& [a, mac] : n.neighbours) {
        in.neighbours.emplace_back(net(a), mac);
    }
    in.max_services = 32;
    in.max_backends = 16;
    return in;
}

using ServiceId = std::tuple<uint32_t, uint16_t, uint8_t>;  // vip, port, proto (network order)

// The records of a forwarding table, written as the snapshot diff will write them (until then, this
// test's scaffolding). Services the program cannot run yet are left out and returned with why.
std::map<ServiceId, std::string> write_table(xdp::MapWriter& w, const fwd::Table& t, const fwd::Inputs& in)
{
    std::map<ServiceId, std::string> unwritten;
    EXPECT_EQ(w.config(true), "");
    const auto ports = static_cast<uint16_t>(in.ports.size());
    for (uint16_t p = 0; p < ports; ++p) {
        const fwd::Port& port = in.ports[p];
        if (port.ip != 0 && port.prefix != 0) {
            const uint32_t mask = wire::net32(~0u << (32 - port.prefix));
            EXPECT_EQ(w.route(port.ip & mask, port.prefix, {.gateway = 0, .ifindex = ifindex_of(p)}), "");
        }
    }
    for (const fwd::Route& r : in.routes) {
        EXPECT_EQ(w.route(r.dst, r.prefix, {.gateway = r.gateway, .ifindex = ifindex_of(r.port)}), "");
    }
    for (const auto& [addr, mac] : in.neighbours) {
        vipd_neighbour n{};
        std::memcpy(n.mac, mac.data(), 6);
        EXPECT_EQ(w.neighbour(addr, n), "");
    }
    std::map<std::tuple<uint32_t, uint16_t, uint8_t>, vipd_nat_reply> nat;  // as fwd::Table::build files them
    for (uint16_t p = 0; p < ports; ++p) {
        const fwd::Port* port = t.port(p);
        vipd_port rec{};
        std::memcpy(rec.mac, port->mac.data(), 6);
        rec.mtu = port->mtu;
        rec.ip = port->ip;
        rec.ifindex = ifindex_of(p);
        EXPECT_EQ(w.port(ifindex_of(p), rec), "");
        if (port->ip != 0) {
            EXPECT_EQ(w.addr(port->ip, VIPD_ADDR_LOCAL), "");
        }
    }
    for (const fwd::Vip& v : t.vips()) {
        EXPECT_EQ(w.addr(v.addr, VIPD_ADDR_VIP | (v.owned ? VIPD_ADDR_OWNED : 0)), "");
    }
    const auto services = t.services();
    for (uint32_t si = 0; si < services.size(); ++si) {
        const fwd::Service& s = services[si];
        const xdp::ServiceRecord r = xdp::service_record(si, static_cast<uint8_t>(s.kind), s.sched, {}, s.persist_s,
                                                            s.persist_mask);
        if (!r.error.empty()) {
            unwritten.emplace(ServiceId{s.vip, s.port, s.proto}, r.error);
            continue;
        }
        for (uint32_t b = 0; b < s.backends.size(); ++b) {
            const fwd::Backend& be = s.backends[b];
            const fwd::NextHop& hop = t.hop(si, b);
            vipd_backend rec{};
            rec.ip = be.ip;
            rec.port = be.port;
            rec.hop_flags = static_cast<uint8_t>((hop.routed ? VIPD_HOP_ROUTED : 0) |
                                                 (hop.mac_known ? VIPD_HOP_MAC_KNOWN : 0));
            rec.weight = s.sched.effective_weight(b);
            rec.hop_ip = hop.ip;
            rec.ifindex = ifindex_of(hop.port);
            std::memcpy(rec.mac, hop.mac.data(), 6);
            EXPECT_EQ(w.backend(si, b, rec), "");
        }
        if (r.record.table_size != 0) {
            EXPECT_EQ(w.table(si, s.sched.table()), "");
        }
        if (s.kind == fwd::Kind::nat) {
            for (const fwd::Backend& be : s.backends) {
                vipd_nat_reply& nr = nat[{be.ip, be.port, s.proto}];
                if (nr.count < VIPD_NAT_SERVICES) {
                    nr.service[nr.count++] = {.id = si, .vip = s.vip, .port = s.port, .pad = 0,
                                              .backends = static_cast<uint32_t>(s.backends.size())};
                }
            }
        }
        // The service record last: a packet never finds a service whose backends are not there.
        const vipd_service_key key{.vip = s.vip, .port = s.port, .proto = s.proto, .pad = 0};
        EXPECT_EQ(w.service(key, r.record), "");
    }
    for (const auto& [k, nr] : nat) {
        const auto& [ip_, port, proto] = k;
        EXPECT_EQ(w.nat_reply({.ip = ip_, .port = port, .proto = proto, .pad = 0}, nr), "");
    }
    return unwritten;
}

struct Outcome {
    int action = -1;      // XDP_*
    pkt::Verdict verdict = pkt::Verdict::drop;
    pkt::DropReason reason = pkt::DropReason::none;
    Bytes out;
    std::string error;    // the syscall failed
};

// A frame's fields as the C++ path reads them, for deciding what the program does not cover yet.
struct Peek {
    bool ipv4_l4 = false;  // an IPv4 TCP/UDP frame long enough to carry ports
    uint32_t src = 0, dst = 0;
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0, ttl = 0;
};

Peek peek(const Bytes& f)
{
    Peek p;
    if (f.size() < 14 + 20 + 4 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4) {
        return p;
    }
    const uint32_t hlen = (f[14] & 0x0f) * 4u;
    if (hlen < 20 || f.size() < 14 + hlen + 4) {
        return p;
    }
    p.proto = f[14 + 9];
    p.ttl = f[14 + 8];
    std::memcpy(&p.src, &f[14 + 12], 4);
    std::memcpy(&p.dst, &f[14 + 16], 4);
    std::memcpy(&p.sport, &f[14 + hlen], 2);
    std::memcpy(&p.dport, &f[14 + hlen + 2], 2);
    p.ipv4_l4 = p.proto == 6 || p.proto == 17;
    return p;
}

class Bpf : public ::testing::Test {
protected:
    void SetUp() override
    {
        xdp::LoadResult r = xdp::Program::load({.flows = 1 << 16, .test_clock = true});
        ASSERT_TRUE(r.program) << r.error;
        _prog = std::move(r.program);
        const fwd::Inputs in = golden_inputs();
        _built = fwd::Table::build(golden::config(), in);
        ASSERT_TRUE(_built.table) << _built.error;
        _unwritten = write_table(_prog->maps(), *_built.table, in);
    }

    const fwd::Table& table() const { return *_built.table; }

    // Why the program does not decide this frame as the C++ path does yet; nullopt: it does.
    std::optional<std::string> not_covered(const Bytes& f) const
    {
        if (f.size() < 14) {
            return "BPF_PROG_TEST_RUN refuses frames under 14 bytes (no NIC delivers one)";
        }
        const Peek p = peek(f);
        if (!p.ipv4_l4) {
            return std::nullopt;
        }
        uint32_t si = 0;
        if (const fwd::Service* s = table().find_service(p.dst, p.proto, p.dport, &si)) {
            if (const auto it = _unwritten.find({s->vip, s->port, s->proto}); it != _unwritten.end()) {
                return it->second;
            }
        }
        return std::nullopt;
    }

    Outcome run(const Bytes& in) const
    {
        Outcome r;
        const std::vector<uint64_t> v0 = _prog->verdicts();
        const std::vector<uint64_t> d0 = _prog->drops();
        Bytes out(in.size() + 512);
        // LIBBPF_OPTS is a C statement expression; spelled out for C++.
        bpf_test_run_opts opts{};
        opts.sz = sizeof(opts);
        opts.data_in = in.data();
        opts.data_out = out.data();
        opts.data_size_in = static_cast<uint32_t>(in.size());
        opts.data_size_out = static_cast<uint32_t>(out.size());
        opts.repeat = 1;
        if (bpf_prog_test_run_opts(_prog->prog_fd(), &opts) != 0) {
            r.error = std::strerror(errno);
            return r;
        }
        r.action = static_cast<int>(opts.retval);
        out.resize(opts.data_size_out);
        r.out = std::move(out);
        const std::vector<uint64_t> v1 = _prog->verdicts();
        const std::vector<uint64_t> d1 = _prog->drops();
        int counted = 0;
        for (unsigned i = 0; i < v1.size(); ++i) {
            if (v1[i] != v0[i]) {
                r.verdict = static_cast<pkt::Verdict>(i);
                counted += static_cast<int>(v1[i] - v0[i]);
            }
        }
        int dropped = 0;
        for (unsigned i = 0; i < d1.size(); ++i) {
            if (d1[i] != d0[i]) {
                r.reason = static_cast<pkt::DropReason>(i);
                dropped += static_cast<int>(d1[i] - d0[i]);
            }
        }
        if (counted != 1 || dropped != (r.verdict == pkt::Verdict::drop ? 1 : 0)) {
            r.error = "counted " + std::to_string(counted) + " verdicts and " + std::to_string(dropped) + " drops";
        }
        return r;
    }

    static int action_of(pkt::Verdict v)
    {
        switch (v) {
        case pkt::Verdict::forward:
        case pkt::Verdict::reply:
        case pkt::Verdict::solicit:
            return XDP_TX;  // every golden next hop is on the port the frame came in on
        case pkt::Verdict::to_control:
        case pkt::Verdict::to_exception:
            return XDP_PASS;
        default:
            return XDP_DROP;
        }
    }

    static bool sends(pkt::Verdict v)
    {
        return v == pkt::Verdict::forward || v == pkt::Verdict::reply || v == pkt::Verdict::solicit;
    }

    std::unique_ptr<xdp::Program> _prog;
    fwd::BuildResult _built;
    std::map<ServiceId, std::string> _unwritten;
};

// The golden contract: each covered fixture's verdict, reason, XDP action and exact output, in the
// fixtures' order (later cases rely on the flows of earlier ones). The skipped ones are printed.
TEST_F(Bpf, GoldenFixtures)
{
    std::map<std::string, int> skipped;
    int ran = 0;
    uint64_t now_ms = 0;
    for (const golden::Fixture& fx : golden::fixtures()) {
        SCOPED_TRACE(fx.description);
        now_ms += fx.after_ms;
        ASSERT_EQ(_prog->maps().clock(now_ms * 1'000'000), "");
        if (const auto why = not_covered(fx.input)) {
            ++skipped[*why];
            continue;
        }
        const Outcome r = run(fx.input);
        ASSERT_EQ(r.error, "");
        ++ran;
        EXPECT_EQ(pkt::to_string(r.verdict), pkt::to_string(fx.verdict));
        EXPECT_EQ(pkt::to_string(r.reason), pkt::to_string(fx.reason));
        EXPECT_EQ(r.action, action_of(fx.verdict));
        if (sends(fx.verdict)) {
            EXPECT_EQ(r.out, fx.output);
        } else if (fx.verdict != pkt::Verdict::drop) {
            EXPECT_EQ(r.out, fx.input) << "passed to the kernel unchanged";
        }
    }
    std::printf("golden fixtures through the XDP program: %d run\n", ran);
    for (const auto& [why, n] : skipped) {
        std::printf("  skipped %d: %s\n", n, why.c_str());
    }
    // What the program covers today: a fixture newly skipped shows here (raise it as features land).
    EXPECT_EQ(ran, 128);
}

// Generated frames through both paths over the same table, from fresh state on both sides: the
// same verdict, reason and bytes. Clients, ports, flags, TTLs, options and fragments are drawn at
// random, and a share of the frames get a byte changed or are cut short. Skipped: what
// not_covered() names, and the DR service whose backend's MAC is unknown (the solicit rate limit
// runs on different clocks in the two).
TEST_F(Bpf, SameAsProcess)
{
    pkt::LcoreState lc({.flows = 1 << 16, .services = 32, .backends = 16}, flow::Timeouts::ipvs_defaults(1000));
    std::mt19937 rng(20261203);
    auto pick = [&](auto... v) {
        const uint32_t all[] = {static_cast<uint32_t>(v)...};
        return all[rng() % sizeof...(v)];
    };
    const golden::Mac port_mac = golden::node().port_mac;
    const golden::Mac client_mac{0x02, 0, 0, 0, 0, 0x50};
    int compared = 0;
    std::map<std::string, int> verdicts;
    for (int n = 0; n < 6000; ++n) {
        // Half the frames aimed at a service (its VIP, protocol and port), half drawn field by field.
        // A sixth of the frames are replies from the NAT backends (web1:80, web2:53) to clients, which
        // find the flows the frames before them made, or not.
        static constexpr std::pair<uint8_t, uint16_t> services[] = {{6, 80}, {6, 80}, {17, 53}, {6, 84}, {6, 9001},
                                                                    {6, 9002}, {6, 9005}, {6, 9006}, {6, 8080},
                                                                    {6, 8081}, {17, 5353}, {6, 81}, {6, 82}, {6, 83},
                                                                    {6, 8443}};
        const uint32_t kind = rng() % 6;
        const bool aimed = kind < 3;
        const bool reply = kind == 3;
        const auto& [aimed_proto, aimed_port] = services[rng() % std::size(services)];
        uint32_t dst = aimed ? ip(10, 0, 0, 100) : pick(ip(10, 0, 0, 100), ip(10, 0, 0, 101), ip(10, 0, 0, 2), rng());
        uint16_t dport = aimed ? aimed_port : static_cast<uint16_t>(pick(80, 53, 84, 9001, 9006, 443, rng() & 0xffff));
        uint16_t sport = static_cast<uint16_t>(pick(40000, 40001, 40002, 5353, rng() & 0xffff));
        uint8_t proto = aimed ? aimed_proto : static_cast<uint8_t>(pick(6, 6, 17, 1));
        uint32_t src_pick = 0;
        if (reply) {
            src_pick = pick(ip(10, 0, 0, 11), ip(10, 0, 0, 11), ip(10, 0, 0, 12), rng());
            dst = pick(ip(10, 0, 0, 50), ip(10, 0, 0, 50), ip(192, 0, 2, 7), ip(10, 0, 0, 2), rng());
            std::swap(sport, dport);
            sport = static_cast<uint16_t>(pick(80, 80, 53, rng() & 0xffff));
            dport = static_cast<uint16_t>(pick(40000, 40001, 40002, 5353, rng() & 0xffff));
            proto = static_cast<uint8_t>(pick(6, 17));
        }
        const uint32_t src = reply ? src_pick
                                   : pick(ip(10, 0, 0, 50), ip(10, 0, 0, 50), ip(192, 0, 2, 7), ip(127, 0, 0, 1),
                                          ip(10, 0, 0, 100), ip(10, 0, 0, 2), ip(224, 0, 0, 1),
                                          0x0a000000u | (rng() & 0xffffff), 0x0a000000u | (rng() & 0xffffff), rng());
        const uint8_t flags = static_cast<uint8_t>(pick(0x02, 0x02, 0x10, 0x18, 0x04, 0x01, 0x11, 0x12, 0x00));
        const uint8_t ttl = static_cast<uint8_t>(pick(64, 64, 64, 2, 1, 0));
        golden::Ip4 h{.src = src, .dst = dst, .proto = proto, .ttl = ttl};
        if (rng() % 16 == 0) {
            h.frag = static_cast<uint16_t>(pick(0x2000, 185, 0x4000));
        }
        if (rng() % 16 == 0) {
            h.ihl = 6;
            h.options = {static_cast<uint8_t>(pick(1, 0, 131, 7, 68)), static_cast<uint8_t>(pick(1, 4, 2, 9, 0)),
                         static_cast<uint8_t>(rng()), static_cast<uint8_t>(rng())};
        }
        const Bytes payload(rng() % 3 == 0 ? rng() % 64 : 0, 0x61);
        const Bytes l4 = proto == 6    ? golden::tcp(src, dst, sport, dport, flags, rng(), payload)
                         : proto == 17 ? golden::udp(src, dst, sport, dport, payload)
                                       : Bytes{8, 0, 0xf7, 0xff, 0, 0, 0, 0};
        const golden::Mac dmac = rng() % 32 == 0 ? golden::Mac{0x02, 0, 0, 0, 0, 0x12} : port_mac;
        Bytes frame = golden::eth(dmac, client_mac, 0x0800, golden::ipv4(h, l4));
        const uint32_t mutate = rng() % 10;
        if (mutate == 0) {
            frame[rng() % frame.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        } else if (mutate == 1) {
            frame.resize(14 + rng() % (frame.size() - 14));
        }
        if (not_covered(frame)) {
            continue;
        }
        // Both on one clock: a millisecond a frame.
        constexpr uint32_t headroom = 128;  // an mbuf's: TUN and the ICMP errors grow the frame into it
        Bytes cpp(headroom + frame.size(), 0);
        std::copy(frame.begin(), frame.end(), cpp.begin() + headroom);
        pkt::Frame f{.data = cpp.data() + headroom, .len = static_cast<uint32_t>(frame.size()), .headroom = headroom,
                     .port = 0, .hop = 0};
        const uint64_t now_ms = static_cast<uint64_t>(n) + 1;
        const pkt::Result want = pkt::process(table(), lc, f, now_ms);
        cpp.assign(f.data, f.data + f.len);
        ASSERT_EQ(_prog->maps().clock(now_ms * 1'000'000), "");
        const Outcome got = run(frame);
        ASSERT_EQ(got.error, "");
        ++compared;
        ++verdicts[std::string(pkt::to_string(want.verdict)) + "/" + std::string(pkt::to_string(want.reason)) +
                   (reply ? " (reply)" : "")];
        const auto hex = [](const Bytes& b) {
            std::string s;
            char x[4];
            for (uint8_t c : b) {
                std::snprintf(x, sizeof(x), "%02x", c);
                s += x;
            }
            return s;
        };
        ASSERT_EQ(pkt::to_string(got.verdict), pkt::to_string(want.verdict)) << "frame " << n << ": " << hex(frame);
        ASSERT_EQ(pkt::to_string(got.reason), pkt::to_string(want.reason)) << "frame " << n << ": " << hex(frame);
        ASSERT_EQ(got.action, action_of(want.verdict)) << "frame " << n;
        if (want.verdict != pkt::Verdict::drop) {
            ASSERT_EQ(hex(got.out), hex(sends(want.verdict) ? cpp : frame)) << "frame " << n << ": " << hex(frame);
        }
    }
    // The per-backend counters (ipvsadm --stats) agree too.
    const auto services = table().services();
    uint64_t counted = 0;
    for (uint32_t si = 0; si < services.size(); ++si) {
        for (uint32_t b = 0; b < services[si].backends.size(); ++b) {
            SCOPED_TRACE("service " + std::to_string(si) + " backend " + std::to_string(b));
            const pkt::BackendCounters& want = lc.backend(si, b);
            const vipd_backend_stats got = _prog->backend_stats(si, b);
            EXPECT_EQ(got.packets_in, want.packets_in);
            EXPECT_EQ(got.bytes_in, want.bytes_in);
            EXPECT_EQ(got.packets_out, want.packets_out);
            EXPECT_EQ(got.bytes_out, want.bytes_out);
            counted += got.packets_in + got.packets_out;
        }
    }
    EXPECT_GT(counted, 400u);
    std::printf("frames compared with pkt::process: %d (%llu counted on backends)\n", compared,
                static_cast<unsigned long long>(counted));
    for (const auto& [what, count] : verdicts) {
        std::printf("  %6d %s\n", count, what.c_str());
    }
    EXPECT_GE(compared, 2000);
}

// The hashes the program must reproduce: mh (Maglev entry of the client address's mix32) and sh
// (hash_32 bucket) choose what sched::pick chooses, for many clients, with ACKs for no flow (which
// these stateless schedulers schedule).
TEST_F(Bpf, StatelessSchedulersPickAsTheCxx)
{
    uint32_t si_mh = 0;
    uint32_t si_sh = 0;
    const fwd::Service* mh = table().find_service(net(ip(10, 0, 0, 100)), 6, wire::net16(9006), &si_mh);
    const fwd::Service* sh = table().find_service(net(ip(10, 0, 0, 100)), 6, wire::net16(9005), &si_sh);
    ASSERT_NE(mh, nullptr);
    ASSERT_NE(sh, nullptr);
    sched::Lcore state(16);
    std::mt19937 rng(7);
    const golden::Mac port_mac = golden::node().port_mac;
    std::set<golden::Mac> seen;
    for (int i = 0; i < 400; ++i) {
        const uint32_t client = ip(10, 1 + rng() % 200, rng() % 256, 1 + rng() % 254);
        for (const auto& [svc, port] : {std::pair{mh, uint16_t{9006}}, std::pair{sh, uint16_t{9005}}}) {
            const Bytes in = golden::eth(port_mac, {2, 0, 0, 0, 0, 0x50}, 0x0800,
                                         golden::ipv4({.src = client, .dst = ip(10, 0, 0, 100), .proto = 6},
                                                      golden::tcp(client, ip(10, 0, 0, 100), 41000, port, 0x10, 5)));
            const int32_t b = sched::pick(svc->sched, state, 0, client);
            ASSERT_GE(b, 0);
            const Outcome r = run(in);
            ASSERT_EQ(r.error, "");
            ASSERT_EQ(r.verdict, pkt::Verdict::forward) << "client " << client;
            const golden::Mac want = table().hop(svc == mh ? si_mh : si_sh, static_cast<uint32_t>(b)).mac;
            golden::Mac got{};
            std::memcpy(got.data(), r.out.data(), 6);
            ASSERT_EQ(got, want) << "port " << port << " client " << client;
            seen.insert(got);
        }
    }
    EXPECT_EQ(seen.size(), 2u) << "both backends chosen by some client";
}

// A table is replaced whole: after an all-empty Maglev table is swapped in, a new mh flow finds no
// backend; the original table back, the same client gets its backend again.
TEST_F(Bpf, TableSwap)
{
    uint32_t si = 0;
    const fwd::Service* mh = table().find_service(net(ip(10, 0, 0, 100)), 6, wire::net16(9006), &si);
    ASSERT_NE(mh, nullptr);
    const golden::Mac port_mac = golden::node().port_mac;
    auto syn = [&](uint16_t sport) {
        return golden::eth(port_mac, {2, 0, 0, 0, 0, 0x50}, 0x0800,
                           golden::ipv4({.src = ip(10, 0, 0, 50), .dst = ip(10, 0, 0, 100), .proto = 6},
                                        golden::tcp(ip(10, 0, 0, 50), ip(10, 0, 0, 100), sport, 9006, 0x02, 1)));
    };
    const std::vector<int16_t> empty(VIPD_TABLE_SIZE, -1);
    ASSERT_EQ(_prog->maps().table(si, empty), "");
    Outcome r = run(syn(41001));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.reason, pkt::DropReason::no_backend);
    ASSERT_EQ(_prog->maps().table(si, mh->sched.table()), "");
    r = run(syn(41002));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.verdict, pkt::Verdict::forward);
}

// Before control has written a table, the program leaves every frame to the kernel.
TEST_F(Bpf, PassesEverythingUntilReady)
{
    ASSERT_EQ(_prog->maps().config(false), "");
    const Bytes in = golden::eth(golden::node().port_mac, {2, 0, 0, 0, 0, 0x50}, 0x0806,
                                 golden::arp(1, {2, 0, 0, 0, 0, 0x50}, ip(10, 0, 0, 50), {}, ip(10, 0, 0, 100)));
    const Outcome r = run(in);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.action, XDP_PASS);
    EXPECT_EQ(r.verdict, pkt::Verdict::to_exception);
}

}  // namespace

int main(int argc, char** argv)
{
    // Skipped only where the kernel refuses bpf() itself; any other failure is a failure.
    const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vipd_probe", 4, 4, 1, nullptr);
    if (fd < 0 && errno == EPERM) {
        std::fprintf(stderr, "SKIP: bpf() refused with EPERM (needs root or CAP_BPF + CAP_NET_ADMIN)\n");
        return 77;
    }
    if (fd >= 0) {
        close(fd);
    }
    // One CPU for the whole run: the program's rr/wrr cursors are per CPU, as an lcore's are.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0) {
        for (int c = 0; c < CPU_SETSIZE; ++c) {
            if (CPU_ISSET(c, &cpus)) {
                CPU_ZERO(&cpus);
                CPU_SET(c, &cpus);
                sched_setaffinity(0, sizeof(cpus), &cpus);
                break;
            }
        }
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
