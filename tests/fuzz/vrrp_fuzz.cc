// libFuzzer target: any bytes through the VRRP receive path must end in a verdict, never a crash or
// undefined behaviour; whatever decodes re-encodes and decodes to the same advert.
// The fuzz build instruments every object for coverage (-fsanitize=fuzzer-no-link, top meson.build),
// so the codec in the library is explored, not just this harness.
#include "control/vrrp/packet.h"

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

conf::Ip addr(const uint8_t* p, uint8_t family)
{
    conf::Ip ip;
    ip.family = family;
    std::memcpy(ip.bytes.data(), p, family == AF_INET ? 4 : 16);
    return ip;
}

const vrrp::Expect& fixed_expect()
{
    static const vrrp::Expect e = [] {
        vrrp::Expect x;
        x.version = 3;
        x.vrid = 51;
        x.interval_cs = 100;
        x.addrs = {*conf::Ip::parse("10.9.9.100")};
        x.mcast_group = *conf::Ip::parse("224.0.0.18");
        return x;
    }();
    return e;
}

void require(bool ok)
{
    if (!ok) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static vrrp::Counters counters;
    static vrrp::Received r;  // reused, as a socket loop would
    std::span<const uint8_t> in(data, size);

    bool v6 = size >= 40 && (data[0] >> 4) == 6;
    vrrp::Drop dec;
    if (v6) {
        // An IPv6 header (fixed 40 bytes) in front: hop limit, source, destination, then the message.
        dec = vrrp::decode(in.subspan(40), addr(data + 8, AF_INET6), addr(data + 24, AF_INET6), data[7], r);
    } else {
        dec = vrrp::decode_ipv4(in, r);
    }
    require(dec < vrrp::Drop::count_);
    require(vrrp::to_string(dec) != "unknown");
    vrrp::Drop d = dec == vrrp::Drop::none ? vrrp::check(r, fixed_expect()) : dec;
    require(d < vrrp::Drop::count_);
    counters.count(d);
    if (dec != vrrp::Drop::none) {
        return 0;  // refused by decode: nothing to re-encode
    }

    // Decoded (whatever check() said): re-encode and decode again.
    std::array<uint8_t, 20 + 8 + 255 * 16 + 8> buf{};
    vrrp::Received again;
    // The old unicast checksum is a receive-side tolerance; the encoder always sums the real destination.
    if (v6) {
        size_t n = vrrp::encode(r.advert, r.src, r.dst, buf);
        require(n == size - 40);
        require(vrrp::decode({buf.data(), n}, r.src, r.dst, r.ttl, again) == vrrp::Drop::none);
    } else {
        size_t n = vrrp::encode_ipv4(r.advert, r.src, r.dst, buf, 1);
        require(n > 0);
        require(vrrp::decode_ipv4({buf.data(), n}, again) == vrrp::Drop::none);
        require(!again.old_unicast_checksum);
        require(again.ttl == vrrp::ip_ttl);
    }
    require(again.advert == r.advert);
    require(again.src == r.src && again.dst == r.dst);
    require(vrrp::check(again, fixed_expect()) == vrrp::check(r, fixed_expect()) || r.ttl != vrrp::ip_ttl);
    return 0;
}
