// vrrp_strict (or no_accept): while an instance is MASTER without `accept`, the node must not answer
// traffic addressed to its VIPs (RFC 3768 has no accept mode). keepalived 2.2.7, as Debian builds it,
// does this with nftables; vipd builds the same table through libnftables (never by running `nft`):
//
//   table ip keepalived {                       (the name and priority: global nftables, nftables_priority)
//       set vips { type ipv4_addr; }             the VIPs of the instances that are MASTER now
//       chain out { type filter hook output priority -1; policy accept; ip saddr @vips drop }
//       chain in  { type filter hook input priority -1; policy accept; ip daddr @vips drop }
//   }
//   table ip6 keepalived { ... the same, plus neighbour discovery accepted, and link-local VIPs matched
//                          together with their interface in vips_link_local }
//
// VRRP itself is unaffected (adverts go to 224.0.0.18 or a peer's own address; ARP is not IP). The
// tables are created on first use, a stale one (a predecessor killed with SIGKILL) is deleted at
// start, and both are deleted at exit. Control thread only.
#pragma once

#include "conf/model.h"

#include <map>
#include <string>
#include <vector>

struct nft_ctx;

namespace kernel {

class Firewall {
public:
    Firewall(std::string table, int priority, bool counters);
    ~Firewall();
    Firewall(const Firewall&) = delete;
    Firewall& operator=(const Firewall&) = delete;

    // Deletes whatever a previous run left under our table name (both families). Quiet when there is
    // nothing (or no nf_tables at all).
    void remove_stale();
    // `owner` (an instance's name) became MASTER: drop traffic to and from its VIPs (VirtualIp::dev, or
    // `ifname`, is a link-local VIP's link). Addresses are counted, as two instances may share one; the
    // owner is remembered by name, so a reload that keeps the instance can release it later. false with
    // `error` set when nftables refused.
    bool hold(const std::string& owner, const std::vector<conf::VirtualIp>& vips, const std::string& ifname, std::string& error);
    // `owner` left MASTER: its VIPs answer again (unless another owner holds them). Nothing if not held.
    bool release(const std::string& owner, std::string& error);
    bool holds(const std::string& owner) const { return _held.contains(owner); }
    // Deletes the tables this run created (at exit).
    void remove_tables();

    const std::string& table() const { return _table; }
    bool has(const conf::Ip& ip) const { return _refs.contains(ip); }

private:
    struct Held {
        std::vector<conf::VirtualIp> vips;
        std::string ifname;
    };
    std::string element(const conf::VirtualIp& v, const std::string& ifname) const;
    bool run(const std::string& commands, std::string& error);
    bool ensure(bool v6, std::string& error);

    std::string _table;
    int _priority;
    bool _counters;
    nft_ctx* _ctx = nullptr;
    bool _v4_ready = false;
    bool _v6_ready = false;
    std::map<conf::Ip, int> _refs;  // VIP -> instances that hold it as MASTER now
    std::map<std::string, Held> _held;  // instance name -> what it holds
};

} // namespace kernel
