// Kernel mode must change the kernel's real address tables and put real frames on the wire, which only a
// kernel can check: these tests run as root in a private network namespace, on a veth pair, and die with it.
#include "control/kernel/garp.h"
#include "control/kernel/netlink.h"

#include <gtest/gtest.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

conf::Ip ip(const char* text)
{
    auto r = conf::Ip::parse(text);
    EXPECT_TRUE(r) << text;
    return r.value_or(conf::Ip{});
}

std::string run(const std::string& cmd)
{
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        return out;
    }
    char buf[512];
    while (size_t n = std::fread(buf, 1, sizeof(buf), p)) {
        out.append(buf, n);
    }
    ::pclose(p);
    return out;
}

// The `inet`/`inet6` lines of `ip -o addr show dev`, each cut to "family address [brd ..] scope .. [label]".
std::vector<std::string> ip_addr_lines(const std::string& dev, const std::string& family)
{
    std::vector<std::string> lines;
    const std::string out = run("ip -o -f " + family + " addr show dev " + dev);
    size_t pos = 0;
    while (pos < out.size()) {
        size_t eol = out.find('\n', pos);
        if (eol == std::string::npos) {
            eol = out.size();
        }
        std::string line = out.substr(pos, eol - pos);
        pos = eol + 1;
        const auto start = line.find(family == "inet" ? "inet " : "inet6 ");
        const auto end = line.find("\\");
        if (start == std::string::npos) {
            continue;
        }
        line = line.substr(start, end == std::string::npos ? std::string::npos : end - start);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& prefix)
{
    for (const auto& l : lines) {
        if (l.starts_with(prefix)) {
            return true;
        }
    }
    return false;
}

// Waits for fd to become readable, up to a deadline: the test waits on the event, not a fixed time.
bool wait_readable(int fd, std::chrono::milliseconds timeout)
{
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// Receives frames on an interface until one satisfies match or the deadline passes.
std::vector<uint8_t> receive(int fd, const std::function<bool(const std::vector<uint8_t>&)>& match)
{
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !wait_readable(fd, left)) {
            return {};
        }
        std::vector<uint8_t> frame(2048);
        const ssize_t n = ::recv(fd, frame.data(), frame.size(), 0);
        if (n <= 0) {
            continue;
        }
        frame.resize(static_cast<size_t>(n));
        if (match(frame)) {
            return frame;
        }
    }
}

// A packet socket bound to one interface, receiving one ethertype, for reading what the other end sent.
struct Sniffer {
    int fd = -1;
    Sniffer(const char* ifname, uint16_t ethertype)
    {
        fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ethertype));
        sockaddr_ll sll{};
        sll.sll_family = AF_PACKET;
        sll.sll_protocol = htons(ethertype);
        sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname));
        if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~Sniffer()
    {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    Sniffer(const Sniffer&) = delete;
    Sniffer& operator=(const Sniffer&) = delete;
};

class KernelTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto a = nl.link("veth-a");
        auto b = nl.link("veth-b");
        ASSERT_TRUE(a && b);
        veth_a = *a;
        veth_b = *b;
    }

    // What every VIP on veth-a shows once added besides its own `ip addr` line: adding it again is
    // success and leaves one address, netlink lists it, and deleting it removes it (again: success).
    void readd_list_delete(const conf::VirtualIp& vip, const std::string& family)
    {
        const std::string listed = family + " " + vip.addr.str() + "/";
        EXPECT_FALSE(nl.add_address(veth_a.index, vip)) << "adding twice is success";
        const auto lines = ip_addr_lines("veth-a", family);
        EXPECT_EQ(std::count_if(lines.begin(), lines.end(), [&](auto& l) { return l.starts_with(listed); }), 1)
            << ::testing::PrintToString(lines);

        auto addrs = nl.addresses(veth_a.index);
        EXPECT_NE(std::find(addrs.begin(), addrs.end(), std::pair{vip.addr, vip.prefix}), addrs.end());

        ASSERT_FALSE(nl.del_address(veth_a.index, vip));
        EXPECT_FALSE(has_line(ip_addr_lines("veth-a", family), listed));
        EXPECT_FALSE(nl.del_address(veth_a.index, vip)) << "deleting an absent address is success";
    }

    kernel::Netlink nl;
    kernel::Link veth_a;
    kernel::Link veth_b;
};

TEST_F(KernelTest, LinkLookupByNameAndIndex)
{
    EXPECT_EQ(veth_a.name, "veth-a");
    EXPECT_EQ(veth_a.index, static_cast<int>(::if_nametoindex("veth-a")));
    EXPECT_TRUE(veth_a.up);
    EXPECT_TRUE(veth_a.running);
    EXPECT_EQ(veth_a.mtu, 1500u);
    EXPECT_EQ(veth_a.mac, (std::array<uint8_t, 6>{0x02, 0x00, 0x00, 0x00, 0x00, 0x0a}));

    auto by_index = nl.link(veth_a.index);
    ASSERT_TRUE(by_index);
    EXPECT_EQ(by_index->name, "veth-a");
    EXPECT_EQ(by_index->mac, veth_a.mac);

    auto lo = nl.link("lo");
    ASSERT_TRUE(lo);
    EXPECT_EQ(lo->index, 1);
    EXPECT_EQ(lo->mac, (std::array<uint8_t, 6>{}));

    EXPECT_FALSE(nl.link("no-such-if"));
    EXPECT_FALSE(nl.link(99999));
    EXPECT_FALSE(nl.link("a-name-too-long-for-linux"));
}

TEST_F(KernelTest, AddIpv4VipWithLabelScopeAndBroadcast)
{
    const conf::VirtualIp vip{.addr = ip("192.168.50.10"), .prefix = 24, .broadcast = ip("192.168.50.255"),
                              .label = "veth-a:1", .scope = "link"};
    ASSERT_FALSE(nl.add_address(veth_a.index, vip));
    const auto lines = ip_addr_lines("veth-a", "inet");
    EXPECT_TRUE(has_line(lines, "inet 192.168.50.10/24 brd 192.168.50.255 scope link veth-a:1")) << ::testing::PrintToString(lines);
    readd_list_delete(vip, "inet");
}

TEST_F(KernelTest, AddIpv4VipDefaults)
{
    const conf::VirtualIp vip{.addr = ip("172.16.0.1")};
    ASSERT_FALSE(nl.add_address(veth_a.index, vip));
    EXPECT_TRUE(has_line(ip_addr_lines("veth-a", "inet"), "inet 172.16.0.1/32 scope global veth-a"));
    ASSERT_FALSE(nl.del_address(veth_a.index, vip));
    EXPECT_FALSE(has_line(ip_addr_lines("veth-a", "inet"), "inet 172.16.0.1/"));
}

TEST_F(KernelTest, AddAndDeleteIpv6Vip)
{
    const conf::VirtualIp vip{.addr = ip("2001:db8::10"), .prefix = 64};
    ASSERT_FALSE(nl.add_address(veth_a.index, vip));
    // nodad, as keepalived: no second of duplicate address detection before a taken-over VIP answers.
    EXPECT_TRUE(has_line(ip_addr_lines("veth-a", "inet6"), "inet6 2001:db8::10/64 scope global nodad"))
        << ::testing::PrintToString(ip_addr_lines("veth-a", "inet6"));
    readd_list_delete(vip, "inet6");
}

TEST_F(KernelTest, RejectsBadLabelScopeAndAddress)
{
    const conf::VirtualIp wrong_label{.addr = ip("192.168.51.1"), .prefix = 24, .label = "eth0:1"};
    const auto ec = nl.add_address(veth_a.index, wrong_label);
    EXPECT_EQ(ec, kernel::Error::label_not_interface_prefix);
    EXPECT_EQ(ec.message(), "address label must begin with the interface name");
    EXPECT_FALSE(has_line(ip_addr_lines("veth-a", "inet"), "inet 192.168.51.1/"));

    EXPECT_EQ(nl.add_address(veth_a.index, {.addr = ip("192.168.51.1"), .label = "veth-a:toolong!!"}),
              kernel::Error::label_too_long);
    EXPECT_EQ(nl.add_address(veth_a.index, {.addr = ip("192.168.51.1"), .scope = "galaxy"}),
              kernel::Error::unknown_scope);
    EXPECT_EQ(nl.add_address(veth_a.index, {.addr = ip("192.168.51.1"), .prefix = 33}), kernel::Error::bad_address);
    EXPECT_EQ(nl.add_address(veth_a.index, {.addr = conf::Ip{}}), kernel::Error::bad_address);
    EXPECT_EQ(nl.add_address(99999, {.addr = ip("192.168.51.1"), .label = "veth-a:1"}),
              kernel::Error::no_such_interface);
    EXPECT_EQ(nl.add_address(99999, {.addr = ip("192.168.51.1")}), std::errc::no_such_device);
}

TEST_F(KernelTest, PrimaryIpv4IsNotTheVip)
{
    // main() gave veth-a 10.1.2.1/24; a VIP in that subnet is secondary, one in another subnet is a later primary.
    const conf::VirtualIp same_subnet{.addr = ip("10.1.2.100"), .prefix = 24};
    const conf::VirtualIp other_subnet{.addr = ip("10.7.0.1"), .prefix = 32};
    ASSERT_FALSE(nl.add_address(veth_a.index, same_subnet));
    ASSERT_FALSE(nl.add_address(veth_a.index, other_subnet));
    EXPECT_EQ(nl.primary_ipv4(veth_a.index), ip("10.1.2.1"));
    EXPECT_EQ(nl.primary_ipv4(veth_b.index), std::nullopt);
    EXPECT_FALSE(nl.del_address(veth_a.index, same_subnet));
    EXPECT_FALSE(nl.del_address(veth_a.index, other_subnet));
    EXPECT_EQ(nl.primary_ipv4(veth_a.index), ip("10.1.2.1"));
}

TEST_F(KernelTest, LinkEventsArriveOnMonitorFd)
{
    nl.read_link_events();  // drop whatever earlier tests caused
    ASSERT_EQ(std::system("ip link set veth-b down"), 0);

    bool b_down = false;
    bool a_lost_carrier = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!(b_down && a_lost_carrier) && std::chrono::steady_clock::now() < deadline) {
        if (!wait_readable(nl.monitor_fd(), 1s)) {
            continue;
        }
        for (const auto& l : nl.read_link_events()) {
            if (l.index == veth_b.index && l.name == "veth-b" && !l.up && !l.running) {
                b_down = true;
            }
            if (l.index == veth_a.index && l.up && !l.running) {
                a_lost_carrier = true;
            }
        }
    }
    EXPECT_TRUE(b_down);
    EXPECT_TRUE(a_lost_carrier) << "the peer of a downed veth loses its carrier";
    auto a = nl.link(veth_a.index);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->up);
    EXPECT_FALSE(a->running);

    ASSERT_EQ(std::system("ip link set veth-b up"), 0);
    bool a_running = false;
    while (!a_running && std::chrono::steady_clock::now() < deadline + 5s) {
        if (!wait_readable(nl.monitor_fd(), 1s)) {
            continue;
        }
        for (const auto& l : nl.read_link_events()) {
            a_running |= l.index == veth_a.index && l.up && l.running;
        }
    }
    EXPECT_TRUE(a_running);

    // After the final up, veth-a stays up: until an MTU change on veth-a itself is reported (the event
    // that closes the window, so no fixed wait), no event may say it is down or lost its carrier, and
    // that event carries its current state (up, running, the new MTU), not only what changed.
    ASSERT_EQ(std::system("ip link set veth-a mtu 1400"), 0);
    bool a_mtu_seen = false;
    std::vector<kernel::Link> a_events;
    while (!a_mtu_seen && std::chrono::steady_clock::now() < deadline + 10s) {
        if (!wait_readable(nl.monitor_fd(), 1s)) {
            continue;
        }
        for (const auto& l : nl.read_link_events()) {
            if (l.index == veth_a.index && !a_mtu_seen) {
                a_events.push_back(l);
                a_mtu_seen = l.mtu == 1400;
            }
        }
    }
    ASSERT_EQ(std::system("ip link set veth-a mtu 1500"), 0);
    ASSERT_TRUE(a_mtu_seen) << "no event for veth-a's MTU change";
    for (const auto& l : a_events) {
        EXPECT_TRUE(l.up && l.running) << "veth-a event after the final up: up " << l.up << ", running " << l.running
                                       << ", mtu " << l.mtu;
    }
}

TEST_F(KernelTest, GratuitousArpOnTheWire)
{
    Sniffer sniff("veth-b", ETH_P_ARP);
    ASSERT_GE(sniff.fd, 0);
    auto garp = kernel::Garp::open(veth_a);
    ASSERT_TRUE(garp);
    ASSERT_FALSE(garp->send(ip("10.1.2.3")));

    const auto frame = receive(sniff.fd, [](const std::vector<uint8_t>& f) {
        return f.size() >= 42 && f[38] == 10 && f[39] == 1 && f[40] == 2 && f[41] == 3;
    });
    const std::vector<uint8_t> expected = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // destination: broadcast
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // source: veth-a
        0x08, 0x06,                          // ARP
        0x00, 0x01,                          // hardware type: Ethernet
        0x08, 0x00,                          // protocol type: IPv4
        6, 4,                                // address lengths
        0x00, 0x01,                          // operation: request
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // sender MAC
        10, 1, 2, 3,                         // sender IP = VIP
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // target MAC: broadcast, as keepalived writes it
        10, 1, 2, 3,                         // target IP = VIP
    };
    EXPECT_EQ(frame, expected);
}

TEST_F(KernelTest, UnsolicitedNeighbourAdvertOnTheWire)
{
    Sniffer sniff("veth-b", ETH_P_IPV6);
    ASSERT_GE(sniff.fd, 0);
    auto garp = kernel::Garp::open(veth_a);
    ASSERT_TRUE(garp);
    const conf::Ip vip = ip("2001:db8::10");
    ASSERT_FALSE(garp->send(vip));

    // Other IPv6 traffic (router solicitations, MLD) crosses the veth too: wait for a NA for the VIP.
    const auto frame = receive(sniff.fd, [&](const std::vector<uint8_t>& f) {
        return f.size() >= 86 && f[20] == 58 && f[54] == 136 && std::memcmp(&f[62], vip.bytes.data(), 16) == 0;
    });
    ASSERT_EQ(frame.size(), 86u);
    std::vector<uint8_t> expected = {
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01,  // destination: all-nodes multicast
        0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,  // source: veth-a
        0x86, 0xdd,                          // IPv6
        0x60, 0, 0, 0,                       // version, traffic class, flow label
        0, 32, 58, 255,                      // payload length, ICMPv6, hop limit
    };
    expected.insert(expected.end(), vip.bytes.begin(), vip.bytes.end());  // source: the VIP
    const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    expected.insert(expected.end(), std::begin(all_nodes), std::end(all_nodes));
    expected.insert(expected.end(), {136, 0, frame[56], frame[57], 0x20, 0, 0, 0});  // NA, O flag (no forwarding)
    expected.insert(expected.end(), vip.bytes.begin(), vip.bytes.end());               // target
    expected.insert(expected.end(), {2, 1, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a});       // target link-layer address
    EXPECT_EQ(frame, expected);

    // The checksum over pseudo-header and message sums to 0xffff when right.
    uint32_t sum = 0;
    for (size_t i = 22; i < 54; i += 2) {
        sum += static_cast<uint32_t>(frame[i] << 8 | frame[i + 1]);
    }
    sum += 32 + 58;
    for (size_t i = 54; i < 86; i += 2) {
        sum += static_cast<uint32_t>(frame[i] << 8 | frame[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    EXPECT_EQ(sum, 0xffffu);
}

bool wait_both_running()
{
    kernel::Netlink nl;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        auto a = nl.link("veth-a");
        auto b = nl.link("veth-b");
        if (a && b && a->running && b->running) {
            return true;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        wait_readable(nl.monitor_fd(), 1s);
        nl.read_link_events();
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (::unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "kernel_netns: skipped: unshare(CLONE_NEWNET) failed (%s): these tests need root\n",
                     std::strerror(errno));
        return 77;
    }
    // The namespace, and everything made in it, vanishes when this process exits.
    const char* setup[] = {
        "ip link set lo up",
        "ip link add veth-a address 02:00:00:00:00:0a type veth peer name veth-b address 02:00:00:00:00:0b",
        "ip addr add 10.1.2.1/24 dev veth-a",
        "ip link set veth-a up",
        "ip link set veth-b up",
    };
    for (const char* cmd : setup) {
        if (std::system(cmd) != 0) {
            std::fprintf(stderr, "kernel_netns: set-up failed: %s\n", cmd);
            return 1;
        }
    }
    // IFF_RUNNING follows the operstate, which the kernel's linkwatch sets a moment after carrier: wait for it.
    if (!wait_both_running()) {
        std::fprintf(stderr, "kernel_netns: set-up failed: the veth pair did not come up\n");
        return 1;
    }
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
