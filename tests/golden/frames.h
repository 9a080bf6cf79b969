// What the fixture files share: the frames most fixtures start from (client → VIP) and the few
// ways a step or a fixture is written. Only the fixtures_*.cc files include it.
#pragma once

#include "tests/golden/builder.h"
#include "tests/golden/runner.h"
#include "tests/golden/setup.h"

#include <string>
#include <utility>
#include <vector>

namespace golden::frames {

inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;

/// A TCP frame from the client to VIP:dport.
inline Bytes tcp_frame(const Mac& dst_mac, const Mac& src_mac, uint16_t sport, uint16_t dport, uint8_t flags,
                       uint8_t ttl = 64, uint32_t seq = 1)
{
    return eth(dst_mac, src_mac, 0x0800,
               ipv4({.src = client, .dst = vip, .proto = 6, .ttl = ttl}, tcp(client, vip, sport, dport, flags, seq)));
}

/// A SYN from h.src:sport to h.dst:dport (tcp_frame's, but in an IPv4 header of the fixture's own:
/// options, TTL, fragment bits, a wrong version), client to the node's port.
inline Bytes syn_in(const Ip4& h, uint16_t sport, uint16_t dport = 80)
{
    return eth(port_mac, client_mac, 0x0800, ipv4(h, tcp(h.src, h.dst, sport, dport, syn, 1)));
}

/// An ARP request (who-has tpa, tell spa) broadcast by sha, and the reply the node answers it with
/// from `mac` (its port's): the two frames of most ARP fixtures.
inline Bytes arp_who_has(const Mac& sha, uint32_t spa, uint32_t tpa)
{
    return eth(bcast, sha, 0x0806, arp(1, sha, spa, zero_mac, tpa));
}
inline Bytes arp_is_at(const Mac& mac, uint32_t ip, const Mac& tha, uint32_t tpa)
{
    return eth(tha, mac, 0x0806, arp(2, mac, ip, tha, tpa));
}

/// A DNS query from the client's port 5353 to VIP:dport.
inline Bytes udp_frame(const Mac& dst_mac, const Mac& src_mac, uint16_t dport, uint8_t ttl = 64)
{
    const Bytes query{0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    return eth(dst_mac, src_mac, 0x0800,
               ipv4({.src = client, .dst = vip, .proto = 17, .ttl = ttl}, udp(client, vip, 5353, dport, query)));
}

inline Step drop(std::string what, Bytes in, Reason r)
{
    return {.what = std::move(what), .input = std::move(in), .verdict = Verdict::drop, .reason = r, .output = {},
            .to = Handover::any, .after_ms = 1};
}
inline Step pass(std::string what, Bytes in, Handover to)
{
    return {.what = std::move(what), .input = std::move(in), .verdict = Verdict::pass, .reason = Reason::none,
            .output = {}, .to = to, .after_ms = 1};
}
/// A frame sent: forward, reply or solicit, and the exact frame that goes out.
inline Step out(std::string what, Bytes in, Verdict v, Bytes o)
{
    return {.what = std::move(what), .input = std::move(in), .verdict = v, .reason = Reason::none,
            .output = std::move(o), .to = Handover::any, .after_ms = 1};
}

/// A segment from the client to VIP:dport that DR forwards to the backend at `to`: only the MACs
/// change, and the TTL (64 to 63).
inline Step dr_forward(std::string what, uint16_t sport, uint16_t dport, const Mac& to, uint8_t flags = syn, uint32_t seq = 1)
{
    return out(std::move(what), tcp_frame(port_mac, client_mac, sport, dport, flags, 64, seq), Verdict::forward,
               tcp_frame(to, port_mac, sport, dport, flags, 63, seq));
}

/// A fixture needing `needs` (flow_state, sched_state, tun: what the steps cannot show by themselves)
/// and what its steps show: several steps (multi_step), steps at one instant (clock), an ARP request
/// sent (arp_solicit), an ICMP error sent (icmp_gen), a frame under 14 bytes (runt_frames).
inline Fixture make(std::string name, Caps needs, std::vector<Step> steps)
{
    needs |= steps.size() > 1 ? cap::multi_step : 0;
    for (const Step& s : steps) {
        needs |= s.after_ms == 0 ? cap::clock : 0;
        needs |= s.input.size() < 14 ? cap::runt_frames : 0;
        needs |= s.verdict == Verdict::solicit ? cap::arp_solicit : 0;
        const bool icmp = s.output.size() > 14 + 20 && s.output[12] == 0x08 && s.output[13] == 0x00 && s.output[14 + 9] == 1;
        needs |= s.verdict == Verdict::reply && icmp ? cap::icmp_gen : 0;
    }
    return {.name = std::move(name), .needs = needs, .steps = std::move(steps)};
}
/// A fixture of one frame.
inline Fixture one(std::string name, Step s) { return make(std::move(name), 0, {std::move(s)}); }

}  // namespace golden::frames
