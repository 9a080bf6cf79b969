// xdp_gen: a packet generator on BPF_PROG_RUN live frames (BPF_F_TEST_XDP_LIVE_FRAMES, kernel
// 5.18+): the kernel transmits one frame built here again and again out of IFACE by XDP_TX, with no
// socket, no skb and no copy into user space: far less work per frame than an AF_XDP generator in
// copy mode on a veth. For node_bench, where testpmd txonly over net_af_xdp was the limit, and for
// bench/flood.sh's floods.
//
// Usage: xdp_gen --iface IF --dst-mac MAC --src IP --dst IP [--sport N] [--dport N] [--flows N]
//                [--size BYTES] [--seconds S] [--kind udp|syn|ack|vrrp] [--random-src BITS]
//                [--skip-vrid N] [--pps N]
// --kind: UDP (checksum 0), a TCP SYN or ACK (a 20-byte header, checksum right), or a VRRP v2 advert
//   (TTL 255, to --dst, normally 224.0.0.18 with --dst-mac 01:00:5e:00:00:12) whose VRID cycles over
//   1..255 skipping --skip-vrid: junk for a node that has only that one.
// --flows N cycles the source port over N values from --sport; --random-src BITS makes the low BITS
//   bits of the source address, the source port and TCP's sequence number random in every frame
//   (done by the program, frame by frame, checksums summed again).
// --pps N paces the frames to N a second (a token bucket in the program: the frames over the rate
//   are dropped there, not sent); 0, the default, sends as fast as the kernel takes them.
// Where the kernel refuses live frames (EPERM: a sandbox's BPF policy, or a kernel before 5.18), it
//   says so once and goes on the slow way, with the same program: each frame is built by a plain
//   BPF_PROG_RUN (the program's random fields, checksums and pacing as ever) and the frames it would
//   have sent by XDP_TX are sent in batches of 64 through an AF_PACKET socket on IFACE (sendmmsg,
//   bypassing the qdisc), or, where the frames repeat (no --random-src, no --pps), the program's cycle
//   of them built once and replayed; the JSON line's "path" says which ("live", "packet_socket",
//   "packet_socket_replay").
// Prints "tx_pps N" once a second and a JSON line at the end. Run it pinned (taskset) in the
// sender's namespace; frames the veth peer cannot take are dropped by the kernel (count them at the
// receiver). On a veth, the peer needs a NAPI (GRO on, or an XDP program) to take XDP frames.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/wire/checksum.h"
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

enum class Kind : uint32_t { udp = 0, syn = 1, ack = 2, vrrp = 3 };
constexpr uint32_t prog_kind(Kind k) { return k == Kind::vrrp ? 2 : (k == Kind::udp ? 0 : 1); }  // GEN_* in the program

// One Ethernet/IPv4 frame of SIZE bytes (without FCS): UDP (checksum 0, none, as IPv4 allows) filling
// the frame, or a TCP segment without payload, or a VRRP v2 advert; the last two padded to SIZE.
std::vector<uint8_t> build_frame(Kind kind, const std::array<uint8_t, 6>& dst, const std::array<uint8_t, 6>& src,
                                 in_addr sip, in_addr dip, uint16_t sport, uint16_t dport, size_t size)
{
    std::vector<uint8_t> f(size, 0);
    std::memcpy(&f[0], dst.data(), 6);
    std::memcpy(&f[6], src.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t* ip = &f[14];
    const size_t ip_len = kind == Kind::udp ? size - 14 : 40;
    ip[0] = 0x45;
    ip[2] = static_cast<uint8_t>(ip_len >> 8);
    ip[3] = static_cast<uint8_t>(ip_len);
    ip[6] = kind == Kind::vrrp ? 0 : 0x40;  // DF
    ip[8] = kind == Kind::vrrp ? 255 : 64;  // RFC 5798 §5.1.1.3: adverts go with TTL 255
    ip[9] = kind == Kind::udp ? 17 : (kind == Kind::vrrp ? 112 : 6);
    std::memcpy(&ip[12], &sip, 4);
    std::memcpy(&ip[16], &dip, 4);
    const uint16_t csum = wire::checksum(ip, 20);
    ip[10] = static_cast<uint8_t>(csum >> 8);
    ip[11] = static_cast<uint8_t>(csum);
    uint8_t* l4 = ip + 20;
    if (kind == Kind::vrrp) {
        l4[0] = 0x21;  // version 2, advertisement
        l4[1] = 1;     // the VRID: the program cycles it
        l4[2] = 100;   // priority
        l4[3] = 1;     // one address
        l4[5] = 1;     // advert interval 1 s
        std::memcpy(&l4[8], &sip, 4);
        return f;      // the checksum: the program's, once the VRID is set
    }
    l4[0] = static_cast<uint8_t>(sport >> 8);
    l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8);
    l4[3] = static_cast<uint8_t>(dport);
    if (kind == Kind::udp) {
        const size_t udp_len = ip_len - 20;
        l4[4] = static_cast<uint8_t>(udp_len >> 8);
        l4[5] = static_cast<uint8_t>(udp_len);
        return f;
    }
    l4[7] = 1;                                   // sequence number
    l4[12] = 5 << 4;                             // data offset: 20 bytes
    l4[13] = kind == Kind::syn ? 0x02 : 0x10;    // SYN, or ACK
    l4[11] = kind == Kind::ack ? 1 : 0;          // acknowledgement number
    l4[14] = 0xfa;                               // window 64240
    l4[15] = 0xf0;
    // the checksum over the pseudo-header (addresses, protocol, length) and the header; the program
    // sums it again wherever it changes a field
    const uint32_t pseudo = wire::csum_add(0, ip + 12, 8) + 6 + 20;
    const uint16_t tcp = static_cast<uint16_t>(~wire::csum_fold(wire::csum_add(pseudo, l4, 20)));
    l4[16] = static_cast<uint8_t>(tcp >> 8);
    l4[17] = static_cast<uint8_t>(tcp);
    return f;
}

// The slow path for a kernel that refuses live frames: the program builds each frame by a plain
// BPF_PROG_RUN and what it would have sent (XDP_TX) goes out of `ifindex` through an AF_PACKET socket,
// 64 frames a sendmmsg. Where the frames repeat (no --random-src, no --pace: a cycle of --flows
// frames, or of the 255 VRIDs), the cycle is built by the program once and replayed, without a
// BPF_PROG_RUN a frame. batch() returns the frames the socket took in one batch (0 when none was to
// send), or dies on an error other than a full queue.
class PacketSocketPath {
public:
    /// `cycle`: the frames' period when they repeat; 0: they do not (one BPF_PROG_RUN a frame).
    PacketSocketPath(unsigned ifindex, int prog, const std::vector<uint8_t>& frame, unsigned cycle)
    {
        _fd = ::socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: it receives nothing
        if (_fd < 0) {
            die(std::string("AF_PACKET socket: ") + std::strerror(errno));
        }
        const int one = 1;
        (void)::setsockopt(_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
        sockaddr_ll a{};
        a.sll_family = AF_PACKET;
        a.sll_ifindex = static_cast<int>(ifindex);
        if (::bind(_fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
            die(std::string("AF_PACKET bind: ") + std::strerror(errno));
        }
        for (unsigned i = 0; i < cycle; ++i) {
            std::vector<uint8_t> out(2048);
            const uint32_t len = run(prog, frame, out.data(), static_cast<uint32_t>(out.size()));
            if (len == 0) {
                _cycle.clear();  // a frame the program would not send: build every frame as it goes
                break;
            }
            out.resize(len);
            _cycle.push_back(std::move(out));
        }
    }
    ~PacketSocketPath() { ::close(_fd); }
    PacketSocketPath(const PacketSocketPath&) = delete;
    PacketSocketPath& operator=(const PacketSocketPath&) = delete;

    /// "replay" or "build": how the frames are made.
    const char* mode() const noexcept { return _cycle.empty() ? "build" : "replay"; }

    uint64_t batch(int prog, const std::vector<uint8_t>& frame)
    {
        unsigned n = 0;
        for (unsigned i = 0; i < batch_size; ++i) {
            uint8_t* data = nullptr;
            uint32_t len = 0;
            if (!_cycle.empty()) {
                std::vector<uint8_t>& f = _cycle[_next];
                _next = (_next + 1) % _cycle.size();
                data = f.data();
                len = static_cast<uint32_t>(f.size());
            } else {
                data = _out[n].data();
                len = run(prog, frame, data, static_cast<uint32_t>(_out[n].size()));
            }
            if (len != 0) {
                _iov[n] = {data, len};
                _msg[n] = {};
                _msg[n].msg_hdr.msg_iov = &_iov[n];
                _msg[n].msg_hdr.msg_iovlen = 1;
                ++n;
            }
        }
        if (n == 0) {
            return 0;
        }
        const int sent = ::sendmmsg(_fd, _msg.data(), n, MSG_DONTWAIT);
        if (sent < 0 && errno != EAGAIN && errno != ENOBUFS) {
            die(std::string("sendmmsg: ") + std::strerror(errno));
        }
        return sent < 0 ? 0 : static_cast<uint64_t>(sent);
    }

private:
    // One plain run of the program on `frame`: the frame it would send into `out`, its length; 0
    // when it would not send it (paced out).
    static uint32_t run(int prog, const std::vector<uint8_t>& frame, uint8_t* out, uint32_t room)
    {
        bpf_test_run_opts o{};
        o.sz = sizeof(o);
        o.data_in = frame.data();
        o.data_size_in = static_cast<uint32_t>(frame.size());
        o.data_out = out;
        o.data_size_out = room;
        o.repeat = 1;
        if (bpf_prog_test_run_opts(prog, &o) != 0) {
            die(std::string("BPF_PROG_RUN: ") + std::strerror(errno));
        }
        return o.retval == XDP_TX ? o.data_size_out : 0;
    }

    static constexpr unsigned batch_size = 64;
    std::vector<std::vector<uint8_t>> _cycle;
    size_t _next = 0;
    int _fd = -1;
    std::array<std::array<uint8_t, 2048>, batch_size> _out{};
    std::array<iovec, batch_size> _iov{};
    std::array<mmsghdr, batch_size> _msg{};
};

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
    unsigned long sport = 1024, dport = 9, flows = 1, size = 64, seconds = 5, random_src = 0, skip_vrid = 0, pps = 0;
    Kind kind = Kind::udp;
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
        } else if (a == "--kind") {
            const std::string_view k = v;
            if (k == "udp") {
                kind = Kind::udp;
            } else if (k == "syn") {
                kind = Kind::syn;
            } else if (k == "ack") {
                kind = Kind::ack;
            } else if (k == "vrrp") {
                kind = Kind::vrrp;
            } else {
                die(std::string("--kind: ") + v + " is not udp, syn, ack or vrrp");
            }
        } else if (a == "--random-src") {
            random_src = number("--random-src", v, 0, 32);
        } else if (a == "--skip-vrid") {
            skip_vrid = number("--skip-vrid", v, 0, 255);
        } else if (a == "--pps") {
            pps = number("--pps", v, 0, 100'000'000);
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
    std::vector<uint8_t> frame = build_frame(kind, dst_mac, src_mac, sip, dip, static_cast<uint16_t>(sport),
                                             static_cast<uint16_t>(dport), size);

    xdp_gen* skel = xdp_gen__open();
    if (skel == nullptr) {
        die(std::string("cannot open the generator's XDP program: ") + std::strerror(errno));
    }
    static_assert(sizeof(skel->bss->tmpl) == 54, "the template: Ethernet, IPv4 and TCP (or VRRP) headers");
    for (size_t i = 0; i < sizeof(skel->bss->tmpl); i++) {
        skel->bss->tmpl[i] = frame[i];
    }
    skel->rodata->kind = prog_kind(kind);
    skel->rodata->flows = static_cast<uint32_t>(flows);
    skel->rodata->sport = static_cast<uint16_t>(sport);
    skel->rodata->random_src = static_cast<uint32_t>(random_src);
    skel->rodata->skip_vrid = static_cast<uint32_t>(skip_vrid);
    skel->rodata->rate_pps = pps;
    if (xdp_gen__load(skel) != 0) {
        die(std::string("cannot load the generator's XDP program: ") + std::strerror(errno));
    }
    const int prog = bpf_program__fd(skel->progs.xdp_gen);

    // Each run hands the program `repeat` frames in batches of 64 (16 when paced); what it sent, it
    // counts. Paced, a run lasts about half a second, so --seconds is kept to within that.
    const uint32_t repeat = pps == 0 ? 1u << 16 : static_cast<uint32_t>(std::clamp<unsigned long>(pps / 2, 64, 1u << 16));
    const int state_fd = bpf_map__fd(skel->maps.state);
    const int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0) {
        die("cannot count the possible CPUs");
    }
    struct GenState {  // struct gen_state in xdp_gen.bpf.c: one per CPU (each 8-byte aligned, as here)
        uint64_t sent, last_ns, credit;
    };
    std::vector<GenState> per_cpu(static_cast<size_t>(ncpus));
    const auto frames_sent = [&]() {
        const uint32_t key = 0;
        uint64_t n = 0;
        if (bpf_map_lookup_elem(state_fd, &key, per_cpu.data()) == 0) {
            for (const auto& s : per_cpu) {
                n += s.sent;
            }
        }
        return n;
    };
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(size);
    ctx.ingress_ifindex = ifindex;
    uint64_t sent = 0, last_sent = 0;
    std::unique_ptr<PacketSocketPath> slow;  // set once the kernel refused live frames
    uint64_t slow_sent = 0;
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
        o.batch_size = pps == 0 ? 64 : 16;  // paced: frames leave in smaller bursts
        o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
        if (slow) {
            slow_sent += slow->batch(prog, frame);
            sent = slow_sent;
        } else if (bpf_prog_test_run_opts(prog, &o) != 0) {
            if (errno != EPERM && errno != EINVAL && errno != EOPNOTSUPP) {
                die(std::string("BPF_PROG_RUN (live frames) failed: ") + std::strerror(errno) +
                    " (needs kernel 5.18+ and XDP_TX on " + iface + ")");
            }
            std::fprintf(stderr,
                         "xdp_gen: the kernel refused live frames (%s): the frames go out of %s through an "
                         "AF_PACKET socket instead, far slower\n",
                         std::strerror(errno), iface.c_str());
            const unsigned cycle =
                random_src != 0 || pps != 0 ? 0 : (kind == Kind::vrrp ? 255u : static_cast<unsigned>(flows));
            slow = std::make_unique<PacketSocketPath>(ifindex, prog, frame, cycle);
            continue;
        } else {
            sent = frames_sent();
        }
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
    static constexpr const char* kinds[] = {"udp", "syn", "ack", "vrrp"};
    std::printf("{\"bench\": \"xdp_gen\", \"iface\": \"%s\", \"kind\": \"%s\", \"path\": \"%s\", \"frames\": %llu, "
                "\"seconds\": %.3f, \"mpps\": %.3f}\n",
                iface.c_str(), kinds[static_cast<uint32_t>(kind)],
                !slow ? "live"
                      : (std::string_view(slow->mode()) == "replay" ? "packet_socket_replay" : "packet_socket"),
                static_cast<unsigned long long>(sent), dt, static_cast<double>(sent) / dt / 1e6);
    xdp_gen__destroy(skel);
    return 0;
}
