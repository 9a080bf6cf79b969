// The per-lcore flow table, persistence table and flow hashes, driven by a fake clock in seconds.
#include "dataplane/dpdk/datapath/flow/flow_table.h"
#include "dataplane/dpdk/datapath/flow/hash.h"
#include "dataplane/dpdk/datapath/flow/persist.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <map>
#include <random>
#include <unordered_map>
#include <vector>

namespace {

using flow::Entry;
using flow::FlowTable;
using flow::Key4;
using flow::State;
using flow::Timeouts;

uint32_t ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    const uint8_t bytes[4] = {a, b, c, d};
    uint32_t v = 0;
    std::memcpy(&v, bytes, 4);
    return v;
}

uint16_t be16(uint16_t p)
{
    const uint8_t bytes[2] = {static_cast<uint8_t>(p >> 8), static_cast<uint8_t>(p & 0xFF)};
    uint16_t v = 0;
    std::memcpy(&v, bytes, 2);
    return v;
}

// FlowTable's insert and lookup of `k` under its own hash (flow::hash_v4), the rest of the arguments
// as theirs.
template <typename... Args>
Entry* put(FlowTable& t, const Key4& k, Args... args)
{
    return t.insert(k, flow::hash_v4(k), args...);
}
Entry* find(FlowTable& t, const Key4& k, uint64_t now)
{
    return t.lookup(k, flow::hash_v4(k), now);
}

Key4 key(uint32_t i, uint8_t proto = flow::ipproto_tcp)
{
    return {.src = ip(10, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)),
            .dst = ip(192, 0, 2, 1),
            .sport = be16(static_cast<uint16_t>(1024 + (i % 50000))),
            .dport = be16(80),
            .proto = proto};
}

const Timeouts secs = Timeouts::ipvs_defaults(1);

// --- hashes -----------------------------------------------------------------------------------------

TEST(FlowHash, Crc32cCheckValue)
{
    const char* s = "123456789";
    EXPECT_EQ(~flow::crc32c(0xFFFFFFFFU, s, 9), 0xE3069283U);  // the CRC-32C catalogue check value
}

// The verification vectors of Microsoft's RSS specification ("Verifying the RSS Hash Calculation"),
// with its default key: the software hash must equal what a NIC reports.
TEST(FlowHash, ToeplitzMatchesRssVerificationSuite)
{
    struct Vector {
        std::array<uint8_t, 4> dst, src;
        uint16_t dport, sport;
        uint32_t ipv4, ipv4_tcp;
    };
    const Vector vectors[] = {
        {{161, 142, 100, 80}, {66, 9, 149, 187}, 1766, 2794, 0x323e8fc2, 0x51ccc178},
        {{65, 69, 140, 83}, {199, 92, 111, 2}, 4739, 14230, 0xd718262a, 0xc626b0ea},
        {{12, 22, 207, 184}, {24, 19, 198, 95}, 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
        {{209, 142, 163, 6}, {38, 27, 205, 30}, 2217, 48228, 0x82989176, 0xafc7327f},
        {{202, 188, 127, 2}, {153, 39, 163, 191}, 1303, 44251, 0x5d1809c5, 0x10e828a2},
    };
    const flow::Toeplitz t(flow::rss_key_default);
    for (const auto& v : vectors) {
        const Key4 k{.src = ip(v.src[0], v.src[1], v.src[2], v.src[3]),
                     .dst = ip(v.dst[0], v.dst[1], v.dst[2], v.dst[3]),
                     .sport = be16(v.sport),
                     .dport = be16(v.dport),
                     .proto = flow::ipproto_tcp};
        EXPECT_EQ(t.v4(k), v.ipv4_tcp);
        EXPECT_EQ(t.v4_addrs(k), v.ipv4);
    }
}

TEST(FlowHash, ToeplitzTablesEqualReference)
{
    const flow::Toeplitz t(flow::rss_key_default);
    std::mt19937 rng(7);
    for (int i = 0; i < 1000; ++i) {
        std::array<uint8_t, flow::Toeplitz::max_input> in{};
        for (auto& b : in) {
            b = static_cast<uint8_t>(rng());
        }
        const size_t len = rng() % (in.size() + 1);
        const std::span<const uint8_t> s(in.data(), len);
        ASSERT_EQ(t(s), flow::toeplitz_reference(flow::rss_key_default, s));
    }
}

TEST(FlowHash, SoftwareHashIgnoresPaddingAndSeesEveryField)
{
    Key4 a = key(1);
    Key4 b;
    std::memset(static_cast<void*>(&b), 0xAB, sizeof(b));  // garbage in the padding must not matter
    b.src = a.src;
    b.dst = a.dst;
    b.sport = a.sport;
    b.dport = a.dport;
    b.proto = a.proto;
    EXPECT_EQ(flow::hash_v4(a), flow::hash_v4(b));
    Key4 c = a;
    c.proto = flow::ipproto_udp;
    EXPECT_NE(flow::hash_v4(a), flow::hash_v4(c));
    c = a;
    c.dport = be16(81);
    EXPECT_NE(flow::hash_v4(a), flow::hash_v4(c));
}

// L1: keys an attacker picks to share a bucket under the unkeyed hash spread out under a table's
// secret seed, and every table draws its own.
TEST(FlowHash, TablesKeyTheirHashWithASecretSeed)
{
    constexpr uint32_t mask = 1023;  // a 1 Ki-bucket table's index
    std::vector<Key4> same_bucket;
    for (uint32_t i = 0; same_bucket.size() < 64 && i < (1u << 20); ++i) {
        if ((flow::hash_v4(key(i)) & mask) == 0) {
            same_bucket.push_back(key(i));
        }
    }
    ASSERT_EQ(same_bucket.size(), 64u);
    const flow::Timeouts secs;
    FlowTable t1(1024, secs), t2(1024, secs);
    EXPECT_NE(t1.seed(), t2.seed());
    EXPECT_NE(t1.seed(), 0u);
    std::map<uint32_t, int> buckets;
    for (const Key4& k : same_bucket) {
        EXPECT_EQ(t1.hash(k), flow::hash_v4_keyed(k, t1.seed()));
        ++buckets[t1.hash(k) & mask];
    }
    int most = 0;
    for (const auto& [b, n] : buckets) {
        most = std::max(most, n);
    }
    // 64 keys into 1024 buckets at random: more than 4 in one has a chance under 1e-4.
    EXPECT_LE(most, 4) << "the seeded hash still puts the chosen keys together";
    EXPECT_GT(buckets.size(), 52u);  // ~62 expected; 52 or fewer: a chance about 1e-6
}

// --- TCP state machine ------------------------------------------------------------------------------

TEST(FlowState, IpvsInputOnlyTransitions)
{
    using flow::next_state;
    EXPECT_EQ(next_state(State::none, flow::tcp_syn), State::syn_recv);
    EXPECT_EQ(next_state(State::none, flow::tcp_ack), State::established);  // picked up mid-stream
    EXPECT_EQ(next_state(State::syn_recv, flow::tcp_ack), State::established);
    EXPECT_EQ(next_state(State::established, flow::tcp_fin | flow::tcp_ack), State::fin_wait);
    EXPECT_EQ(next_state(State::syn_recv, flow::tcp_fin), State::time_wait);
    EXPECT_EQ(next_state(State::established, flow::tcp_rst | flow::tcp_ack), State::close);
    EXPECT_EQ(next_state(State::syn_recv, flow::tcp_rst), State::syn_recv);  // IPVS ignores RST here
    EXPECT_EQ(next_state(State::fin_wait, flow::tcp_syn), State::syn_recv);  // port reuse
    EXPECT_EQ(next_state(State::established, 0), State::established);
    EXPECT_EQ(next_state(State::udp, flow::tcp_rst), State::udp);
}

// NAT sees both directions: client packets take IPVS's INPUT rows, server packets its OUTPUT rows.
TEST(FlowState, IpvsNatTransitionsBothWays)
{
    using flow::Dir;
    using flow::next_state;
    // Handshake: SYN in, SYN-ACK out, ACK in.
    State s = next_state(State::none, flow::tcp_syn, Dir::input);
    EXPECT_EQ(s, State::syn_recv);
    s = next_state(s, flow::tcp_syn | flow::tcp_ack, Dir::output);
    EXPECT_EQ(s, State::syn_recv);
    s = next_state(s, flow::tcp_ack, Dir::input);
    EXPECT_EQ(s, State::established);
    // The client closes first: CLOSE_WAIT, then the server's FIN: TIME_WAIT.
    EXPECT_EQ(next_state(s, flow::tcp_fin | flow::tcp_ack, Dir::input), State::close_wait);
    EXPECT_EQ(next_state(State::close_wait, flow::tcp_fin | flow::tcp_ack, Dir::output), State::time_wait);
    // The server closes first: FIN_WAIT; the client's ACK keeps it there.
    EXPECT_EQ(next_state(s, flow::tcp_fin | flow::tcp_ack, Dir::output), State::fin_wait);
    EXPECT_EQ(next_state(State::fin_wait, flow::tcp_ack, Dir::input), State::fin_wait);
    // A server-side SYN first (an active open through the balancer): SYN_SENT.
    EXPECT_EQ(next_state(State::none, flow::tcp_syn, Dir::output), State::syn_sent);
    EXPECT_EQ(next_state(State::syn_sent, flow::tcp_syn, Dir::input), State::established);
    // RST from the server closes; INPUT-ONLY's FIN on ESTABLISHED is FIN_WAIT, INPUT's is CLOSE_WAIT.
    EXPECT_EQ(next_state(State::established, flow::tcp_rst, Dir::output), State::close);
    EXPECT_EQ(next_state(State::established, flow::tcp_fin, Dir::input_only), State::fin_wait);
    EXPECT_EQ(next_state(State::udp, flow::tcp_syn, Dir::output), State::udp);
    EXPECT_TRUE(flow::is_active(State::established));
    EXPECT_FALSE(flow::is_active(State::close_wait));
}

// The end hook sees every flow that stops being held: expiry (lookup and sweep), eviction, removal,
// and an insert that resets an existing key; the lcore keeps its lc counts exact with it.
TEST(FlowTable, EndHookSeesEveryEnd)
{
    struct Seen {
        int ends = 0;
        uint32_t last_backend = 0;
    } seen;
    FlowTable t(8, secs);
    t.set_end_hook(
        [](void* ctx, const Entry& e) noexcept {
            auto* s = static_cast<Seen*>(ctx);
            ++s->ends;
            s->last_backend = e.backend;
        },
        &seen);
    const Key4 a = key(1);
    t.insert(a, flow::hash_v4(a), 0, 0, 5, flow::tcp_syn);
    t.insert(a, flow::hash_v4(a), 1, 0, 6, flow::tcp_syn);  // reset: the flow on backend 5 ended
    EXPECT_EQ(seen.ends, 1);
    EXPECT_EQ(seen.last_backend, 5U);
    EXPECT_EQ(t.lookup(a, flow::hash_v4(a), 1000), nullptr);  // SYN_RECV's 60 s passed: expired
    EXPECT_EQ(seen.ends, 2);
    EXPECT_EQ(seen.last_backend, 6U);
    for (uint32_t i = 0; i < 8; ++i) {
        t.insert(key(10 + i), flow::hash_v4(key(10 + i)), 2000 + i, 0, i, flow::tcp_syn);
    }
    const int before = seen.ends;
    t.insert(key(99), flow::hash_v4(key(99)), 2010, 0, 99, flow::tcp_syn);  // full: one is evicted
    EXPECT_EQ(seen.ends, before + 1);
    Entry* e = t.lookup(key(99), flow::hash_v4(key(99)), 2011);
    ASSERT_NE(e, nullptr);
    t.remove(e);
    EXPECT_EQ(seen.ends, before + 2);
    EXPECT_EQ(seen.last_backend, 99U);
    ASSERT_EQ(t.size(), 7U);
    EXPECT_EQ(t.expire(1000000, t.buckets()), 7U);
    EXPECT_EQ(seen.ends, before + 2 + 7);
}

TEST(FlowState, IpvsadmSetLeavesZeroesAlone)
{
    Timeouts want = secs;
    want.tcp_fin = 30;
    EXPECT_EQ(secs.with_ipvsadm_set(0, 30, 0), want);
    EXPECT_EQ(secs.with_ipvsadm_set(0, 0, 0), secs);
}

// --- table basics -----------------------------------------------------------------------------------

TEST(FlowTable, InsertLookupRemove)
{
    FlowTable t(1024, secs);
    const Key4 k = key(42);
    const uint32_t h = flow::hash_v4(k);
    EXPECT_EQ(t.lookup(k, h, 0), nullptr);
    Entry* e = t.insert(k, h, 0, 3, 7, flow::tcp_syn);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->key(), k);
    EXPECT_EQ(e->state, State::syn_recv);
    Entry* f = t.lookup(k, h, 1);
    ASSERT_EQ(f, e);
    EXPECT_EQ(f->service, 3U);
    EXPECT_EQ(f->backend, 7U);
    EXPECT_EQ(f->last_seen, 1U);
    EXPECT_EQ(t.size(), 1U);
    t.remove(f);
    EXPECT_EQ(t.lookup(k, h, 2), nullptr);
    EXPECT_EQ(t.size(), 0U);
    EXPECT_EQ(t.counters(), (flow::Counters{.hits = 1, .misses = 2, .inserts = 1, .removes = 1, .active = 0}));
}

TEST(FlowTable, InsertOfAPresentKeyReusesItsEntry)
{
    FlowTable t(16, secs);
    const Key4 k = key(1);
    Entry* a = put(t, k, 0, 1, 1, flow::tcp_syn);
    Entry* b = put(t, k, 5, 2, 9, flow::tcp_syn);
    EXPECT_EQ(a, b);
    EXPECT_EQ(t.size(), 1U);
    EXPECT_EQ(b->backend, 9U);
}

TEST(FlowTable, UdpAndOtherProtocolsUseTheUdpTimeout)
{
    FlowTable t(16, secs);
    const Key4 u = key(1, flow::ipproto_udp);
    t.insert(u, flow::hash_v4(u), 1000, 0, 0, 0);
    ASSERT_NE(t.lookup(u, flow::hash_v4(u), 1299), nullptr);  // refreshed to 1299
    ASSERT_NE(t.lookup(u, flow::hash_v4(u), 1598), nullptr);
    EXPECT_EQ(t.lookup(u, flow::hash_v4(u), 1598 + 300), nullptr);
    EXPECT_EQ(t.counters().expirations, 1U);
    EXPECT_EQ(t.size(), 0U);

    const Key4 g = key(2, 47);  // GRE
    Entry* e = t.insert(g, flow::hash_v4(g), 0, 0, 0, flow::tcp_syn);
    EXPECT_EQ(e->state, State::udp);
}

struct StateCase {
    const char* name;
    std::vector<uint8_t> packets;  // TCP flags of successive packets at t = 0, 1, 2, ...
    State state;
    uint64_t timeout;
};

TEST(FlowTable, EachTcpStateExpiresAfterItsIpvsTimeout)
{
    const StateCase cases[] = {
        {"none", {0}, State::none, 2},
        {"syn", {flow::tcp_syn}, State::syn_recv, 60},
        {"established", {flow::tcp_syn, flow::tcp_ack}, State::established, 900},
        {"fin", {flow::tcp_syn, flow::tcp_ack, flow::tcp_fin | flow::tcp_ack}, State::fin_wait, 120},
        {"fin in handshake", {flow::tcp_syn, flow::tcp_fin}, State::time_wait, 120},
        {"rst", {flow::tcp_syn, flow::tcp_ack, flow::tcp_rst}, State::close, 10},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        FlowTable t(64, secs);
        const Key4 k = key(5);
        const uint32_t h = flow::hash_v4(k);
        uint64_t now = 100;
        Entry* e = t.insert(k, h, now, 0, 0, c.packets[0]);
        for (size_t i = 1; i < c.packets.size(); ++i) {
            e = t.lookup(k, h, ++now);
            ASSERT_NE(e, nullptr);
            t.update_tcp(e, c.packets[i], now);
        }
        EXPECT_EQ(e->state, c.state) << flow::state_name(e->state);
        // One unit before the timeout the flow is there; expire() leaves it too.
        EXPECT_EQ(t.expire(now + c.timeout - 1, t.buckets()), 0U);
        EXPECT_NE(t.lookup(k, h, now + c.timeout - 1), nullptr);
        now += c.timeout - 1;  // that lookup refreshed it
        EXPECT_EQ(t.expire(now + c.timeout, t.buckets()), 1U);
        EXPECT_EQ(t.lookup(k, h, now + c.timeout), nullptr);
    }
}

TEST(FlowTable, FinMovesAnEstablishedFlowToTheShortTimeout)
{
    FlowTable t(64, secs.with_ipvsadm_set(3600, 30, 0));
    const Key4 k = key(9);
    const uint32_t h = flow::hash_v4(k);
    Entry* e = t.insert(k, h, 0, 0, 0, flow::tcp_ack);
    ASSERT_EQ(e->state, State::established);
    EXPECT_NE(t.lookup(k, h, 3599), nullptr);
    e = t.lookup(k, h, 4000);
    ASSERT_NE(e, nullptr);
    t.update_tcp(e, flow::tcp_fin | flow::tcp_ack, 4000);
    EXPECT_EQ(e->state, State::fin_wait);
    EXPECT_EQ(t.lookup(k, h, 4030), nullptr);
}

TEST(FlowTable, NewTimeoutsApplyToExistingFlows)
{
    FlowTable t(64, secs);
    const Key4 k = key(9, flow::ipproto_udp);
    put(t, k, 0, 0, 0, 0);
    t.set_timeouts(secs.with_ipvsadm_set(0, 0, 10));
    EXPECT_EQ(t.timeouts().udp, 10U);
    EXPECT_EQ(find(t, k, 10), nullptr);
}

// --- capacity and eviction --------------------------------------------------------------------------

TEST(FlowTable, EvictionAtCapacityIsCountedAndBounded)
{
    constexpr uint32_t cap = 100, n = 20000;
    FlowTable t(cap, secs);
    for (uint32_t i = 0; i < n; ++i) {
        Entry* e = put(t, key(i), i / 100, 0, i, flow::tcp_ack);  // all live (900 s)
        ASSERT_EQ(e->backend, i);
        ASSERT_LE(t.size(), cap);
        // The flow just inserted is always findable.
        ASSERT_EQ(find(t, key(i), i / 100), e);
    }
    const flow::Counters c = t.counters();
    EXPECT_EQ(c.active, cap);
    EXPECT_EQ(c.inserts, n);
    EXPECT_EQ(c.evictions, n - cap);
    EXPECT_EQ(c.expirations, 0U);
    uint32_t walked = 0;
    t.for_each([&](const Entry&) { ++walked; });
    EXPECT_EQ(walked, cap);
}

TEST(FlowTable, EvictionTakesTheOldestOfTheNeighbourhood)
{
    // Every key gets the same hash, so all share two buckets (16 slots): the 17th insert must push
    // out the least recently seen.
    FlowTable t(1000, secs);
    constexpr uint32_t h = 0x12345678;
    for (uint32_t i = 0; i < 16; ++i) {
        t.insert(key(i), h, 10 + i, 0, i, flow::tcp_ack);
    }
    ASSERT_NE(t.lookup(key(0), h, 100), nullptr);  // key 0 is now the most recent; key 1 the oldest
    t.insert(key(16), h, 101, 0, 16, flow::tcp_ack);
    EXPECT_EQ(t.counters().evictions, 1U);
    EXPECT_EQ(t.lookup(key(1), h, 102), nullptr);
    EXPECT_NE(t.lookup(key(0), h, 102), nullptr);
    EXPECT_NE(t.lookup(key(16), h, 102), nullptr);
}

TEST(FlowTable, InsertPrefersAnExpiredEntryToEvictingALiveOne)
{
    // A full table whose keys all share one hash (one neighbourhood, as above). Keys 0, 1 and 3 are
    // ESTABLISHED TCP seen at t=0 (900 s: live at t=700, and the least recently seen); key 2 is UDP
    // seen at t=100 (300 s: stale at t=700). The new key must take key 2's place as an expiry rather
    // than evict the oldest live one.
    FlowTable t(4, secs);
    constexpr uint32_t h = 0x12345678;
    for (const uint32_t i : {0U, 1U, 3U}) {
        t.insert(key(i), h, 0, 0, i, flow::tcp_ack);
    }
    t.insert(key(2, flow::ipproto_udp), h, 100, 0, 2, 0);
    t.insert(key(99), h, 700, 0, 99, flow::tcp_ack);
    const flow::Counters c = t.counters();
    EXPECT_EQ(c.expirations, 1U);
    EXPECT_EQ(c.evictions, 0U);
    EXPECT_EQ(t.size(), 4U);
    EXPECT_EQ(t.lookup(key(2, flow::ipproto_udp), h, 700), nullptr);
    for (const uint32_t live : {0U, 1U, 3U, 99U}) {
        EXPECT_NE(t.lookup(key(live), h, 700), nullptr) << "key " << live;
    }
}

TEST(FlowTable, EvictionTakesAnUnconfirmedFlowBeforeOlderEstablishedOnes)
{
    // One neighbourhood (one hash, 16 slots): 15 confirmed ESTABLISHED flows seen long ago and one
    // unconfirmed SYN seen just now. The 17th key must replace the SYN, not the oldest connection.
    FlowTable t(1000, secs);
    constexpr uint32_t h = 0x12345678;
    for (uint32_t i = 0; i < 15; ++i) {
        t.insert(key(i), h, 10 + i, 0, i, flow::tcp_ack);
    }
    t.insert(key(15), h, 100, 0, 15, flow::tcp_syn, 0, flow::Dir::input_only, false);
    t.insert(key(16), h, 101, 0, 16, flow::tcp_syn, 0, flow::Dir::input_only, false);
    EXPECT_EQ(t.counters().evictions, 1U);
    EXPECT_EQ(t.lookup(key(15), h, 102), nullptr);
    for (uint32_t i = 0; i < 15; ++i) {
        EXPECT_NE(t.lookup(key(i), h, 102), nullptr) << "established key " << i;
    }
    // Then closing flows (confirmed, not ESTABLISHED), the least recently seen first, before
    // ESTABLISHED ones seen long before them.
    Entry* fin = t.lookup(key(3), h, 103);
    ASSERT_NE(fin, nullptr);
    t.update_tcp(fin, flow::tcp_fin, 103);
    ASSERT_EQ(fin->state, State::fin_wait);
    Entry* rst = t.lookup(key(4), h, 104);
    ASSERT_NE(rst, nullptr);
    t.update_tcp(rst, flow::tcp_rst, 104);
    ASSERT_EQ(rst->state, State::close);
    t.insert(key(17), h, 105, 0, 17, flow::tcp_ack);  // confirmed: replaces the unconfirmed key 16
    EXPECT_EQ(t.lookup(key(16), h, 105), nullptr);
    t.insert(key(18), h, 106, 0, 18, flow::tcp_ack);
    EXPECT_EQ(t.lookup(key(3), h, 107), nullptr) << "FIN_WAIT, seen at 103: the oldest closing flow";
    EXPECT_NE(t.lookup(key(4), h, 107), nullptr);
    for (const uint32_t i : {0U, 1U, 2U, 5U, 14U, 17U, 18U}) {
        EXPECT_NE(t.lookup(key(i), h, 107), nullptr) << "established key " << i;
    }
}

TEST(FlowTable, UnconfirmedFlowsLiveFiveSecondsConfirmedOnesTheirStatesTimeout)
{
    FlowTable t(64, secs);
    const Key4 udp = key(1, flow::ipproto_udp);
    const Key4 tcp = key(2);
    t.insert(udp, flow::hash_v4(udp), 0, 0, 1, 0, 0, flow::Dir::input_only, false);
    t.insert(tcp, flow::hash_v4(tcp), 0, 0, 2, flow::tcp_syn, 0, flow::Dir::input_only, false);
    EXPECT_NE(t.lookup(udp, flow::hash_v4(udp), 4), nullptr) << "4 s: alive (and refreshed)";
    EXPECT_EQ(t.lookup(udp, flow::hash_v4(udp), 9), nullptr) << "5 s after its last packet, unconfirmed";
    EXPECT_EQ(t.lookup(tcp, flow::hash_v4(tcp), 5), nullptr) << "a SYN never answered: 5 s, not SYN_RECV's 60";
    // Confirmed: a second UDP datagram; the handshake's ACK.
    t.insert(udp, flow::hash_v4(udp), 10, 0, 1, 0, 0, flow::Dir::input_only, false);
    Entry* e = t.lookup(udp, flow::hash_v4(udp), 11);
    ASSERT_NE(e, nullptr);
    FlowTable::confirm_if_active(e);
    EXPECT_NE(t.lookup(udp, flow::hash_v4(udp), 11 + 299), nullptr) << "UDP's 300 s once confirmed";
    t.insert(tcp, flow::hash_v4(tcp), 10, 0, 2, flow::tcp_syn, 0, flow::Dir::input_only, false);
    e = t.lookup(tcp, flow::hash_v4(tcp), 11);
    ASSERT_NE(e, nullptr);
    FlowTable::confirm_if_active(e);
    EXPECT_EQ(e->confirmed, 0) << "SYN_RECV is not confirmed by a second SYN";
    t.update_tcp(e, flow::tcp_ack, 11);
    FlowTable::confirm_if_active(e);
    EXPECT_EQ(e->confirmed, 1);
    EXPECT_NE(t.lookup(tcp, flow::hash_v4(tcp), 11 + 899), nullptr) << "ESTABLISHED's 900 s once confirmed";
}

// H6: a table that a spoofed SYN flood fills (and refills 40 times over) keeps every established,
// confirmed flow, including those whose neighbourhood the flood reaches when it holds nothing else:
// the flood's own unconfirmed entries are taken from elsewhere then.
TEST(FlowTable, SpoofedSynFloodKeepsEveryEstablishedFlow)
{
    constexpr uint32_t cap = 4096;
    FlowTable t(cap, secs);
    constexpr uint32_t established = 1024;
    for (uint32_t i = 0; i < established; ++i) {
        const Key4 k = key(i);
        put(t, k, 0, 0, i, flow::tcp_syn, 0, flow::Dir::input_only, false);
        Entry* e = find(t, k, 1);
        ASSERT_NE(e, nullptr);
        t.update_tcp(e, flow::tcp_ack, 1);
        FlowTable::confirm_if_active(e);
        ASSERT_EQ(e->state, State::established);
    }
    std::mt19937 rng(11);
    constexpr uint32_t flood = 40 * cap;
    for (uint32_t i = 0; i < flood; ++i) {
        const Key4 k{.src = ip(100, static_cast<uint8_t>(64 + (rng() & 63)), static_cast<uint8_t>(rng()),
                               static_cast<uint8_t>(rng())),
                     .dst = ip(192, 0, 2, 1),
                     .sport = be16(static_cast<uint16_t>(1024 + rng() % 60000)),
                     .dport = be16(80),
                     .proto = flow::ipproto_tcp};
        put(t, k, 2, 0, 0, flow::tcp_syn, 0, flow::Dir::input_only, false);
        ASSERT_LE(t.size(), cap);
    }
    EXPECT_EQ(t.size(), cap);
    EXPECT_GE(t.counters().evictions, flood - (cap - established));
    for (uint32_t i = 0; i < established; ++i) {
        const Key4 k = key(i);
        const Entry* e = find(t, k, 3);
        ASSERT_NE(e, nullptr) << "established flow " << i << " evicted by the flood";
        EXPECT_EQ(e->backend, i);
    }
}

// --- incremental expiry -----------------------------------------------------------------------------

TEST(FlowTable, IncrementalExpiryWithBudgetsCleansEverything)
{
    FlowTable t(50000, secs);
    for (uint32_t i = 0; i < 50000; ++i) {
        const Key4 k = key(i, i % 2 != 0 ? flow::ipproto_udp : flow::ipproto_tcp);
        put(t, k, i % 60, 0, 0, flow::tcp_syn);
    }
    ASSERT_EQ(t.size(), 50000U);
    constexpr uint32_t budget = 16;
    uint64_t expired = 0;
    uint32_t calls = 0;
    // First pass at t=200: the SYN flows (60 s) are gone, the UDP ones (300 s) stay.
    for (uint32_t i = 0; i < t.buckets() / budget; ++i, ++calls) {
        expired += t.expire(200, budget);
    }
    EXPECT_EQ(expired, 25000U);
    EXPECT_EQ(t.size(), 25000U);
    while (t.size() > 0) {
        const uint32_t n = t.expire(10000, budget);
        ASSERT_LE(n, budget * flow::FlowTable::slots);
        expired += n;
        ASSERT_LE(++calls, 2 * t.buckets() / budget + 1);
    }
    EXPECT_EQ(expired, 50000U);
    EXPECT_EQ(t.counters().expirations, 50000U);
}

// --- burst lookup -----------------------------------------------------------------------------------

TEST(FlowTable, BurstLookupAgreesWithSingleLookups)
{
    FlowTable t(4096, secs);
    for (uint32_t i = 0; i < 3000; i += 2) {
        t.insert(key(i), flow::hash_v4(key(i)), 0, 0, i, flow::tcp_ack);
    }
    std::vector<Key4> keys;
    std::vector<uint32_t> hashes;
    for (uint32_t i = 0; i < 100; ++i) {
        keys.push_back(key(i * 7));
        hashes.push_back(flow::hash_v4(keys.back()));
    }
    std::vector<Entry*> out(keys.size());
    t.lookup_burst(keys.data(), hashes.data(), static_cast<uint32_t>(keys.size()), 5, out.data());
    for (size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(out[i], t.lookup(keys[i], hashes[i], 5)) << i;
        EXPECT_EQ(out[i] != nullptr, (i * 7) % 2 == 0 && i * 7 < 3000) << i;
    }
}

// --- persistence ------------------------------------------------------------------------------------

TEST(Persist, GranularityMaskGroupsClients)
{
    flow::PersistTable p(1024);
    const uint32_t m24 = ip(255, 255, 255, 0);
    const uint32_t m32 = ip(255, 255, 255, 255);
    p.insert(ip(10, 0, 0, 1), m24, 1, 4, 360, 0);
    const flow::PersistEntry* e = p.lookup(ip(10, 0, 0, 200), m24, 1, 10);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->backend, 4U);
    EXPECT_EQ(p.lookup(ip(10, 0, 1, 1), m24, 1, 10), nullptr);   // another /24
    EXPECT_EQ(p.lookup(ip(10, 0, 0, 200), m24, 2, 10), nullptr); // another service
    // With /32 every client is its own template.
    p.insert(ip(10, 9, 9, 1), m32, 1, 5, 360, 0);
    EXPECT_EQ(p.lookup(ip(10, 9, 9, 2), m32, 1, 10), nullptr);
    EXPECT_NE(p.lookup(ip(10, 9, 9, 1), m32, 1, 10), nullptr);
}

TEST(Persist, EachTemplateHasItsServicesTimeoutRefreshedByUse)
{
    flow::PersistTable p(64);
    const uint32_t m = ip(255, 255, 255, 255);
    p.insert(ip(10, 0, 0, 1), m, 1, 4, 360, 0);
    p.insert(ip(10, 0, 0, 1), m, 2, 5, 50, 0);
    EXPECT_NE(p.lookup(ip(10, 0, 0, 1), m, 1, 300), nullptr);  // refreshed to 300
    EXPECT_EQ(p.lookup(ip(10, 0, 0, 1), m, 2, 50), nullptr);
    EXPECT_NE(p.lookup(ip(10, 0, 0, 1), m, 1, 659), nullptr);
    EXPECT_EQ(p.expire(659 + 360, p.buckets()), 1U);
    EXPECT_EQ(p.size(), 0U);
}

// --- differential -----------------------------------------------------------------------------------

struct KeyHash {
    size_t operator()(const Key4& k) const noexcept { return flow::hash_v4(k); }
};

struct Model {
    uint32_t backend;
    uint64_t last_seen;
    uint64_t timeout;
};

// 1M random lookups, inserts, removes, time steps and expire() sweeps against std::unordered_map.
// `hash_bits` < 32 squeezes the hash so keys collide in signature and bucket and spill to their
// alternate bucket; then the neighbourhood can overflow and evict, which the model tolerates only as
// far as the eviction counter accounts for it.
void differential(uint32_t capacity, uint32_t key_space, uint32_t hash_bits, uint64_t seed, flow::Counters& result)
{
    FlowTable t(capacity, Timeouts{.tcp = 900, .tcp_fin = 120, .udp = 300, .tcp_syn = 60, .tcp_close = 10,
                                   .tcp_none = 2, .tcp_time_wait = 120});
    std::unordered_map<Key4, Model, KeyHash> model;
    std::mt19937_64 rng(seed);
    const uint32_t hmask = hash_bits >= 32 ? 0xFFFFFFFFU : (1U << hash_bits) - 1;
    uint64_t now = 0;
    uint64_t lost = 0;  // entries the table dropped that the model still had live
    for (uint32_t op = 0; op < 1'000'000; ++op) {
        const auto id = static_cast<uint32_t>(rng() % key_space);
        const Key4 k = key(id, id % 3 == 0 ? flow::ipproto_udp : flow::ipproto_tcp);
        const uint32_t h = flow::hash_v4(k) & hmask;
        const uint64_t r = rng() % 100;
        auto it = model.find(k);
        const bool live = it != model.end() && !flow::aged_out(it->second.last_seen, now, it->second.timeout);
        if (r < 45) {  // lookup
            Entry* e = t.lookup(k, h, now);
            if (e != nullptr) {
                ASSERT_TRUE(live) << "op " << op;
                ASSERT_EQ(e->backend, it->second.backend);
                it->second.last_seen = now;
            } else if (live) {
                ++lost;
                model.erase(it);
            } else if (it != model.end()) {
                model.erase(it);
            }
        } else if (r < 80) {  // insert (SYN: 60 s for TCP, 300 s for UDP)
            const auto backend = static_cast<uint32_t>(rng());
            Entry* e = t.insert(k, h, now, 1, backend, flow::tcp_syn);
            ASSERT_EQ(e->backend, backend);
            model[k] = {backend, now, k.proto == flow::ipproto_udp ? 300U : 60U};
        } else if (r < 88) {  // ACK or FIN on a live flow: state and timeout change
            Entry* e = t.lookup(k, h, now);
            if (e != nullptr) {
                ASSERT_TRUE(live);
                const uint8_t fl = rng() % 2 != 0 ? flow::tcp_ack : flow::tcp_fin;
                t.update_tcp(e, fl, now);
                it->second.last_seen = now;
                if (k.proto == flow::ipproto_tcp) {
                    it->second.timeout = t.timeout(static_cast<unsigned>(e->state));
                }
            } else if (it != model.end()) {
                lost += live ? 1 : 0;
                model.erase(it);
            }
        } else if (r < 95) {  // remove
            Entry* e = t.lookup(k, h, now);
            if (e != nullptr) {
                t.remove(e);
            } else {
                lost += live ? 1 : 0;
            }
            if (it != model.end()) {
                model.erase(it);
            }
        } else if (r < 99) {
            now += rng() % 20;
        } else {
            t.expire(now, 8);
        }
        ASSERT_LE(t.size(), capacity);
    }
    const flow::Counters c = t.counters();
    result = c;
    EXPECT_LE(lost, c.evictions);
    EXPECT_EQ(c.active, t.size());
    // Everything the model still holds live is in the table, with its backend (unless lost above).
    uint64_t missing = 0;
    for (const auto& [k, m] : model) {
        if (!flow::aged_out(m.last_seen, now, m.timeout)) {
            const Entry* e = t.lookup(k, flow::hash_v4(k) & hmask, now);
            if (e == nullptr) {
                ++missing;
            } else {
                EXPECT_EQ(e->backend, m.backend);
            }
        }
    }
    EXPECT_LE(lost + missing, c.evictions);
    if (c.evictions == 0) {
        EXPECT_EQ(missing, 0U);
    }
}

TEST(FlowTableDifferential, MatchesUnorderedMapWithoutPressure)
{
    // Roomy table, full hash: nothing may be evicted, so the table and the model agree exactly.
    flow::Counters c;
    differential(16384, 6000, 32, 1, c);
    EXPECT_EQ(c.evictions, 0U);
}

TEST(FlowTableDifferential, MatchesUnorderedMapWithCollidingHashes)
{
    flow::Counters c;
    differential(16384, 6000, 11, 2, c);  // 2048 distinct hashes for 6000 keys
}

TEST(FlowTableDifferential, MatchesUnorderedMapUnderCapacityPressure)
{
    flow::Counters c;
    differential(128, 6000, 32, 3, c);
    EXPECT_GT(c.evictions, 0U);
}

}  // namespace
