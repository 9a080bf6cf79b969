// xdp_gen: a UDP packet generator on BPF_PROG_RUN live frames (BPF_F_TEST_XDP_LIVE_FRAMES, kernel
// 5.18+): the kernel transmits one frame built here again and again out of IFACE by XDP_TX, with no
// socket, no skb and no copy into user space: far less work per frame than an AF_XDP generator in
// copy mode on a veth. For node_bench, where testpmd txonly over net_af_xdp was the limit.
//
// Usage: xdp_gen --iface IF --dst-mac MAC --src IP --dst IP [--sport N] [--dport N] [--flows N]
//                [--size BYTES] [--seconds S]
// --flows N cycles the UDP source port over N values from --sport (done by the program, frame by frame).
// Prints "tx_pps N" once a second and a JSON line at the end. Run it pinned (taskset) in the
// sender's namespace; frames the veth peer cannot take are dropped by the kernel (count them at the
// receiver). On a veth, the peer needs a NAPI (GRO on, or an XDP program) to take XDP frames.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "xdp_gen.skel.h"

namespace {

[[noreturn]] void die(const std::string& what)
{
    std::fprintf(stderr, "xdp_gen: %s\n", what.c_str());
    std::exit(1);
}

bool parse_mac(std::string_view s, std::array<uint8_t, 6>& mac)
{
    unsigned v[6];
    if (std::sscanf(std::string(s).c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (v[i] > 0xff) {
            return false;
        }
        mac[i] = static_cast<uint8_t>(v[i]);
    }
    return true;
}

uint16_t ip_checksum(const uint8_t* p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<uint16_t>(~sum);
}

// One Ethernet/IPv4/UDP frame of SIZE bytes (without FCS), UDP checksum 0 (none, as IPv4 allows).
std::vector<uint8_t> build_frame(const std::array<uint8_t, 6>& dst, const std::array<uint8_t, 6>& src, in_addr sip,
                                 in_addr dip, uint16_t sport, uint16_t dport, size_t size)
{
    std::vector<uint8_t> f(size, 0);
    std::memcpy(&f[0], dst.data(), 6);
    std::memcpy(&f[6], src.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t* ip = &f[14];
    const size_t ip_len = size - 14;
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(ip_len >> 8);
    ip[3] = static_cast<uint8_t>(ip_len);
    ip[6] = 0x40;  // DF
    ip[8] = 64;
    ip[9] = 17;
    std::memcpy(&ip[12], &sip, 4);
    std::memcpy(&ip[16], &dip, 4);
    const uint16_t csum = ip_checksum(ip, 20);
    ip[10] = static_cast<uint8_t>(csum >> 8);
    ip[11] = static_cast<uint8_t>(csum);
    uint8_t* udp = ip + 20;
    const size_t udp_len = ip_len - 20;
    udp[0] = static_cast<uint8_t>(sport >> 8);
    udp[1] = static_cast<uint8_t>(sport);
    udp[2] = static_cast<uint8_t>(dport >> 8);
    udp[3] = static_cast<uint8_t>(dport);
    udp[4] = static_cast<uint8_t>(udp_len >> 8);
    udp[5] = static_cast<uint8_t>(udp_len);
    return f;
}

unsigned long number(const char* opt, const char* v, unsigned long lo, unsigned long hi)
{
    char* end = nullptr;
    const unsigned long n = std::strtoul(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
        die(std::string(opt) + ": " + v + " is not a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return n;
}

}  // namespace

int main(int argc, char** argv)
{
    std::string iface;
    std::array<uint8_t, 6> dst_mac{};
    bool have_mac = false;
    in_addr sip{}, dip{};
    bool have_sip = false, have_dip = false;
    unsigned long sport = 1024, dport = 9, flows = 1, size = 64, seconds = 5;
    for (int i = 1; i < argc; i++) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) {
            die("option " + std::string(a) + " needs a value (see the usage in bench/xdp_gen.cc)");
        }
        const char* v = argv[++i];
        if (a == "--iface") {
            iface = v;
        } else if (a == "--dst-mac") {
            if (!parse_mac(v, dst_mac)) {
                die(std::string("--dst-mac: ") + v + " is not a MAC address");
            }
            have_mac = true;
        } else if (a == "--src" || a == "--dst") {
            if (inet_pton(AF_INET, v, a == "--src" ? &sip : &dip) != 1) {
                die(std::string(a) + ": " + v + " is not an IPv4 address");
            }
            (a == "--src" ? have_sip : have_dip) = true;
        } else if (a == "--sport") {
            sport = number("--sport", v, 1, 65535);
        } else if (a == "--dport") {
            dport = number("--dport", v, 1, 65535);
        } else if (a == "--flows") {
            flows = number("--flows", v, 1, 256);
        } else if (a == "--size") {
            size = number("--size", v, 60, 1514);
        } else if (a == "--seconds") {
            seconds = number("--seconds", v, 1, 3600);
        } else {
            die("unknown option " + std::string(a));
        }
    }
    if (iface.empty() || !have_mac || !have_sip || !have_dip) {
        die("needs --iface, --dst-mac, --src and --dst");
    }
    if (sport + flows - 1 > 65535) {
        die("--sport + --flows passes port 65535");
    }
    const unsigned ifindex = if_nametoindex(iface.c_str());
    if (ifindex == 0) {
        die("no interface " + iface + " here");
    }
    std::array<uint8_t, 6> src_mac{};
    {
        std::ifstream in("/sys/class/net/" + iface + "/address");
        std::string s;
        if (!(in >> s) || !parse_mac(s, src_mac)) {
            die("cannot read " + iface + "'s MAC address");
        }
    }
    std::vector<uint8_t> frame =
        build_frame(dst_mac, src_mac, sip, dip, static_cast<uint16_t>(sport), static_cast<uint16_t>(dport), size);

    xdp_gen* skel = xdp_gen__open();
    if (skel == nullptr) {
        die(std::string("cannot open the generator's XDP program: ") + std::strerror(errno));
    }
    static_assert(sizeof(skel->bss->tmpl) == 42, "the template is the Ethernet, IPv4 and UDP headers");
    for (size_t i = 0; i < sizeof(skel->bss->tmpl); i++) {
        skel->bss->tmpl[i] = frame[i];
    }
    skel->rodata->flows = static_cast<uint32_t>(flows);
    skel->rodata->sport = static_cast<uint16_t>(sport);
    if (xdp_gen__load(skel) != 0) {
        die(std::string("cannot load the generator's XDP program: ") + std::strerror(errno));
    }
    const int prog = bpf_program__fd(skel->progs.xdp_gen);

    // Each run sends `repeat` frames in batches of 64.
    constexpr uint32_t repeat = 1 << 16;
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(size);
    ctx.ingress_ifindex = ifindex;
    uint64_t sent = 0, last_sent = 0;
    const auto t0 = std::chrono::steady_clock::now();
    auto last = t0;
    const auto until = t0 + std::chrono::seconds(seconds);
    for (;;) {
        bpf_test_run_opts o{};
        o.sz = sizeof(o);
        o.data_in = frame.data();
        o.data_size_in = static_cast<uint32_t>(size);
        o.ctx_in = &ctx;
        o.ctx_size_in = sizeof(ctx);
        o.repeat = repeat;
        o.batch_size = 64;
        o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
        if (bpf_prog_test_run_opts(prog, &o) != 0) {
            die(std::string("BPF_PROG_RUN (live frames) failed: ") + std::strerror(errno) +
                " (needs kernel 5.18+ and XDP_TX on " + iface + ")");
        }
        sent += repeat;
        const auto now = std::chrono::steady_clock::now();
        if (now - last >= std::chrono::seconds(1)) {
            const double dt = std::chrono::duration<double>(now - last).count();
            std::printf("tx_pps %.0f\n", static_cast<double>(sent - last_sent) / dt);
            std::fflush(stdout);
            last = now;
            last_sent = sent;
        }
        if (now >= until) {
            break;
        }
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"bench\": \"xdp_gen\", \"iface\": \"%s\", \"frames\": %llu, \"seconds\": %.3f, \"mpps\": %.3f}\n",
                iface.c_str(), static_cast<unsigned long long>(sent), dt, static_cast<double>(sent) / dt / 1e6);
    xdp_gen__destroy(skel);
    return 0;
}
