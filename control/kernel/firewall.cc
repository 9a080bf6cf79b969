// The vrrp_strict drop rules, through libnftables: each change is one nft transaction.
#include "control/kernel/firewall.h"

#include "control/log.h"

#include <fmt/format.h>
#include <nftables/libnftables.h>

#include <algorithm>
#include <cctype>

namespace kernel {

namespace {
bool is_link_local(const conf::Ip& ip) { return !ip.is_v4() && ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80; }
} // namespace

Firewall::Firewall(std::string table, int priority, bool counters)
    : _table(std::move(table)), _priority(priority), _counters(counters), _ctx(nft_ctx_new(NFT_CTX_DEFAULT))
{
    // keepalived takes any name under 256 bytes; nft's grammar (libnftables 1.0.6 has no quoted table
    // names) takes a letter or '_' followed by letters, digits and _ . / -.
    const bool plain = !_table.empty() && (std::isalpha(static_cast<unsigned char>(_table[0])) != 0 || _table[0] == '_') &&
                       std::all_of(_table.begin(), _table.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '/' || c == '-';
                       });
    if (!plain) {
        vlog::warn("nftables table name '{}' cannot be written in nft's syntax - using keepalived", _table);
        _table = "keepalived";
    }
    if (_ctx != nullptr) {
        nft_ctx_buffer_output(_ctx);
        nft_ctx_buffer_error(_ctx);
    }
}

Firewall::~Firewall()
{
    if (_ctx != nullptr) {
        nft_ctx_free(_ctx);
    }
}

bool Firewall::run(const std::string& commands, std::string& error)
{
    if (_ctx == nullptr) {
        error = "nftables: cannot create a libnftables context";
        return false;
    }
    const int rc = nft_run_cmd_from_buffer(_ctx, commands.c_str());
    const char* err = nft_ctx_get_error_buffer(_ctx);  // reading it also clears it for the next command
    if (rc != 0) {
        std::string text = err != nullptr ? err : "";
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
            text.pop_back();
        }
        error = fmt::format("nftables: {}", text.empty() ? "command failed" : text);
        return false;
    }
    (void)nft_ctx_get_output_buffer(_ctx);
    return true;
}

void Firewall::remove_stale()
{
    // Adding then deleting in one transaction deletes the table whether or not it existed.
    const std::string t = _table;
    std::string error;
    (void)run(fmt::format("add table ip {0}\ndelete table ip {0}\nadd table ip6 {0}\ndelete table ip6 {0}\n", t), error);
    _v4_ready = _v6_ready = false;
}

bool Firewall::ensure(bool v6, std::string& error)
{
    if (v6 ? _v6_ready : _v4_ready) {
        return true;
    }
    const std::string t = _table;
    const std::string count = _counters ? "counter " : "";
    std::string cmd;
    if (!v6) {
        cmd = fmt::format(
            "add table ip {0}\n"
            "add chain ip {0} out {{ type filter hook output priority {1}; policy accept; }}\n"
            "add chain ip {0} in {{ type filter hook input priority {1}; policy accept; }}\n"
            "add set ip {0} vips {{ type ipv4_addr; }}\n"
            "add rule ip {0} in ip daddr @vips {2}drop\n"
            "add rule ip {0} out ip saddr @vips {2}drop\n",
            t, _priority, count);
    } else {
        // Neighbour discovery must still work for a VIP, as keepalived lets it; a link-local VIP is only
        // that address on its own link.
        cmd = fmt::format(
            "add table ip6 {0}\n"
            "add chain ip6 {0} out {{ type filter hook output priority {1}; policy accept; }}\n"
            "add chain ip6 {0} in {{ type filter hook input priority {1}; policy accept; }}\n"
            "add set ip6 {0} vips {{ type ipv6_addr; }}\n"
            "add set ip6 {0} vips_link_local {{ type ipv6_addr . iface_index; }}\n"
            "add rule ip6 {0} in icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} {2}accept\n"
            "add rule ip6 {0} in ip6 daddr . iif @vips_link_local {2}drop\n"
            "add rule ip6 {0} in ip6 daddr @vips {2}drop\n"
            "add rule ip6 {0} out icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} {2}accept\n"
            "add rule ip6 {0} out ip6 saddr . oif @vips_link_local {2}drop\n"
            "add rule ip6 {0} out ip6 saddr @vips {2}drop\n",
            t, _priority, count);
    }
    if (!run(cmd, error)) {
        return false;
    }
    (v6 ? _v6_ready : _v4_ready) = true;
    return true;
}

std::string Firewall::element(const conf::VirtualIp& v, const std::string& ifname) const
{
    if (v.addr.is_v4()) {
        return fmt::format("ip {} vips {{ {} }}", _table, v.addr.str());
    }
    if (is_link_local(v.addr)) {
        return fmt::format("ip6 {} vips_link_local {{ {} . \"{}\" }}", _table, v.addr.str(), v.dev.empty() ? ifname : v.dev);
    }
    return fmt::format("ip6 {} vips {{ {} }}", _table, v.addr.str());
}

bool Firewall::hold(const std::string& owner, const std::vector<conf::VirtualIp>& vips, const std::string& ifname, std::string& error)
{
    if (_held.contains(owner)) {
        return true;
    }
    std::string cmd;
    std::vector<conf::Ip> counted;
    for (const auto& v : vips) {
        if (!ensure(!v.addr.is_v4(), error)) {
            for (const auto& ip : counted) {
                --_refs[ip];
            }
            return false;
        }
        counted.push_back(v.addr);
        if (_refs[v.addr]++ == 0) {  // not yet dropped for another instance
            cmd += "add element " + element(v, ifname) + "\n";
        }
    }
    if (!cmd.empty() && !run(cmd, error)) {
        for (const auto& ip : counted) {
            if (--_refs[ip] == 0) {
                _refs.erase(ip);
            }
        }
        return false;
    }
    _held[owner] = Held{.vips = vips, .ifname = ifname};
    return true;
}

bool Firewall::release(const std::string& owner, std::string& error)
{
    auto h = _held.find(owner);
    if (h == _held.end()) {
        return true;
    }
    std::string cmd;
    for (const auto& v : h->second.vips) {
        auto it = _refs.find(v.addr);
        if (it == _refs.end() || --it->second > 0) {
            continue;
        }
        _refs.erase(it);
        cmd += "delete element " + element(v, h->second.ifname) + "\n";
    }
    _held.erase(h);
    return cmd.empty() || run(cmd, error);
}

void Firewall::remove_tables()
{
    std::string cmd;
    if (_v4_ready) {
        cmd += fmt::format("delete table ip {}\n", _table);
    }
    if (_v6_ready) {
        cmd += fmt::format("delete table ip6 {}\n", _table);
    }
    std::string error;
    if (!cmd.empty() && !run(cmd, error)) {
        remove_stale();  // whatever went wrong, leave nothing behind
    }
    _v4_ready = _v6_ready = false;
    _refs.clear();
    _held.clear();
}

} // namespace kernel
