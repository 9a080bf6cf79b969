// The golden packet builder.
#include "tests/golden/builder.h"

#include <cstddef>
#include <cstdint>

namespace golden {
namespace {

void put16(Bytes& b, uint16_t v)
{
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v)
{
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
uint32_t sum(uint32_t s, const Bytes& b, std::size_t from = 0, std::size_t to = SIZE_MAX)
{
    to = to > b.size() ? b.size() : to;
    for (std::size_t i = from; i < to; i += 2) {
        s += static_cast<uint32_t>(b[i] << 8) | (i + 1 < to ? b[i + 1] : 0u);
    }
    return s;
}
uint16_t finish(uint32_t s)
{
    while ((s >> 16) != 0) {
        s = (s & 0xffff) + (s >> 16);
    }
    return static_cast<uint16_t>(~s);
}
Bytes l4(uint8_t proto, uint32_t src, uint32_t dst, Bytes seg, std::size_t csum_at)
{
    uint32_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto +
                 static_cast<uint32_t>(seg.size());
    uint16_t c = finish(sum(s, seg));
    if (proto == 17 && c == 0) {
        c = 0xffff;  // RFC 768: a computed zero is sent as all ones
    }
    seg[csum_at] = static_cast<uint8_t>(c >> 8);
    seg[csum_at + 1] = static_cast<uint8_t>(c);
    return seg;
}

}  // namespace

Bytes eth(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload)
{
    Bytes b(dst.begin(), dst.end());
    b.insert(b.end(), src.begin(), src.end());
    put16(b, type);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes arp(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa)
{
    Bytes b;
    put16(b, 1);
    put16(b, 0x0800);
    b.push_back(6);
    b.push_back(4);
    put16(b, op);
    b.insert(b.end(), sha.begin(), sha.end());
    put32(b, spa);
    b.insert(b.end(), tha.begin(), tha.end());
    put32(b, tpa);
    return b;
}

Bytes ipv4(const Ip4& h, const Bytes& payload)
{
    Bytes b;
    const std::size_t hlen = h.ihl * 4u;
    b.push_back(static_cast<uint8_t>(h.version << 4 | (h.ihl & 0x0f)));
    b.push_back(h.tos);
    put16(b, static_cast<uint16_t>((hlen < 20 ? 20 : hlen) + payload.size()));
    put16(b, h.id);
    put16(b, h.frag);
    b.push_back(h.ttl);
    b.push_back(h.proto);
    put16(b, 0);
    put32(b, h.src);
    put32(b, h.dst);
    b.insert(b.end(), h.options.begin(), h.options.end());
    while (b.size() < hlen) {
        b.push_back(0);
    }
    const uint16_t c = finish(sum(0, b));
    b[10] = static_cast<uint8_t>(c >> 8);
    b[11] = static_cast<uint8_t>(c);
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
}

Bytes tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
          const Bytes& payload)
{
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put32(b, seq);
    put32(b, (flags & 0x10) != 0 ? 1000 : 0);
    b.push_back(5 << 4);
    b.push_back(flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    return l4(6, src, dst, std::move(b), 16);
}

Bytes udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const Bytes& payload)
{
    Bytes b;
    put16(b, sport);
    put16(b, dport);
    put16(b, static_cast<uint16_t>(8 + payload.size()));
    put16(b, 0);
    b.insert(b.end(), payload.begin(), payload.end());
    return l4(17, src, dst, std::move(b), 6);
}

namespace {

Bytes icmp_error(uint8_t type, uint8_t code, uint16_t mtu, const Bytes& quoted)
{
    Bytes b{type, code, 0, 0, 0, 0};
    put16(b, mtu);
    b.insert(b.end(), quoted.begin(), quoted.end());
    const uint16_t c = finish(sum(0, b));
    b[2] = static_cast<uint8_t>(c >> 8);
    b[3] = static_cast<uint8_t>(c);
    return b;
}

}  // namespace

Bytes icmp_frag_needed(uint16_t mtu, const Bytes& quoted) { return icmp_error(3, 4, mtu, quoted); }

Bytes icmp_time_exceeded(const Bytes& quoted) { return icmp_error(11, 0, 0, quoted); }

}  // namespace golden
