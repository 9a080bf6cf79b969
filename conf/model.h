// The typed model of a keepalived.conf, with keepalived 2.2.7's defaults, that the rest of vipd reads.
// Times are microseconds (keepalived's own unit); every item keeps the Location it came from.
#pragma once

#include "conf/diag.h"

#include <array>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace conf {

// An IPv4 or IPv6 address in network byte order.
struct Ip {
    uint8_t family = 0;  // AF_INET or AF_INET6; 0 = unset
    std::array<uint8_t, 16> bytes{};

    static std::optional<Ip> parse(std::string_view text);
    /// An IPv4 address from its host-order value (0x0a000001 is 10.0.0.1).
    static constexpr Ip v4(uint32_t host) noexcept
    {
        Ip a;
        a.family = 2;  // AF_INET
        a.bytes[0] = static_cast<uint8_t>(host >> 24);
        a.bytes[1] = static_cast<uint8_t>(host >> 16);
        a.bytes[2] = static_cast<uint8_t>(host >> 8);
        a.bytes[3] = static_cast<uint8_t>(host);
        return a;
    }
    std::string str() const;
    bool is_v4() const;
    uint8_t max_prefix() const { return is_v4() ? 32 : 128; }
    bool operator==(const Ip&) const = default;
    auto operator<=>(const Ip&) const = default;
};

constexpr uint64_t usec_per_sec = 1000000;

struct VirtualIp {
    Ip addr;
    uint8_t prefix = 32;
    std::optional<Ip> broadcast;
    std::string dev;    // empty: the instance's interface
    std::string label;
    std::string scope;  // empty: global
    Location loc;
};

// Routes and rules are kept as written: vipd records them but does not install them yet.
struct OpaqueLine {
    std::vector<std::string> words;
    Location loc;
};

// How a script runs, resolved once by validation (see control/process.h): keepalived's words of the
// command, the file its first word names, and the user and group it runs as. A script that validation
// dropped (not found, insecure under enable_script_security, no such user) has none and never runs.
struct Exec {
    std::vector<std::string> argv;  // the command split as keepalived splits it (quotes and escapes removed)
    std::string path;               // what argv[0] resolved to; empty: a `</path` test, run by /bin/sh -c
    std::string user;               // the user it runs as (never empty)
    uint32_t uid = 0;
    uint32_t gid = 0;               // the group given, else the user's own
};

// A notify, quorum_up/down or notify_up/down line: `KEYWORD COMMAND [user [group]]`.
struct Command {
    std::string text;         // the command as written (one word, or one quoted string)
    std::string user, group;  // as written after it; empty: the default script user
    std::optional<Exec> exec;  // set by validation when the script is to run
    Location loc;
    bool empty() const { return text.empty(); }
};

struct VrrpScript {
    std::string name;
    std::string script;          // command line as written
    uint64_t interval_us = usec_per_sec;
    uint64_t timeout_us = 0;     // 0: same as interval
    int weight = 0;
    bool weight_reverse = false;
    int rise = 1;
    int fall = 1;
    std::string user;            // empty: global script_user
    std::string group;
    bool init_fail = false;
    bool disabled = false;       // set by validation (script not found / insecure)
    std::optional<Exec> exec;    // set by validation
    Location loc;
};

struct TrackFile {
    std::string name;
    std::string path;
    int weight = 1;
    bool weight_reverse = false;
    std::optional<int> init_value;  // init_file: written at start when the file is missing (or always, with overwrite)
    bool init_overwrite = false;
    Location loc;
};

struct TrackRef {  // track_script / track_file / track_interface entry
    std::string name;
    std::optional<int> weight;
    bool reverse = false;
    bool noreverse = false;  // written out: overrides the tracked object's own `weight N reverse`
    Location loc;
};

struct Notify {
    Command notify, master, backup, fault, stop, deleted;
};

enum class InitialState : uint8_t { backup, master };
enum class AuthType : uint8_t { none, pass, ah };

struct VrrpInstance {
    std::string name;
    Location loc;
    InitialState state = InitialState::backup;
    bool state_set = false;
    std::string interface;
    Location interface_loc;
    int vrid = -1;                 // required
    int priority = 100;            // 255 when state MASTER and priority not given
    bool priority_set = false;
    uint64_t advert_int_us = usec_per_sec;
    int version = 0;               // 0: global vrrp_version
    bool preempt = true;
    uint64_t preempt_delay_us = 0;
    AuthType auth_type = AuthType::none;
    std::string auth_pass;         // at most 8 bytes (longer is truncated, as keepalived does)
    std::vector<VirtualIp> vips;
    std::vector<VirtualIp> excluded_vips;
    std::vector<OpaqueLine> routes;
    std::vector<OpaqueLine> rules;
    std::optional<Ip> unicast_src_ip;
    std::vector<Ip> unicast_peers;
    std::optional<Ip> mcast_src_ip;
    bool use_vmac = false;
    std::string vmac_name;
    bool vmac_xmit_base = false;
    std::vector<TrackRef> track_interfaces;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_files;
    std::optional<uint64_t> garp_master_delay_us;     // unset: global
    std::optional<int> garp_master_repeat;
    std::optional<uint64_t> garp_master_refresh_us;
    std::optional<int> garp_master_refresh_repeat;
    Notify notify;
    bool smtp_alert = false;
    bool dont_track_primary = false;
    std::optional<bool> accept;    // unset: accept unless vrrp_strict
    std::string lvs_sync_daemon_interface;
    std::string sync_group;        // filled by validation
};

struct SyncGroup {
    std::string name;
    std::vector<std::string> members;
    std::vector<Location> member_locs;
    Notify notify;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_interfaces;
    std::vector<TrackRef> track_files;
    bool smtp_alert = false;
    bool tracking_weight = false;  // sync_group_tracking_weight: members keep their weighted tracking
    Location loc;
};

enum class LbAlgo : uint8_t { rr, wrr, lc, wlc, lblc, lblcr, dh, sh, mh, sed, nq, fo, ovf };
enum class LbKind : uint8_t { nat, dr, tun };
enum class Protocol : uint8_t { tcp, udp, sctp };
enum class CheckerType : uint8_t { http_get, ssl_get, tcp_check, misc_check, dns_check, smtp_check, udp_check, ping_check, file_check, bfd_check };

struct StatusRange {
    uint16_t lo = 0, hi = 0;
};

struct Url {
    std::string path;
    std::string digest;             // 32 hex digits (MD5) when set
    std::vector<StatusRange> status;  // empty: 200-299
    std::string virtualhost;
    Location loc;
};

// A value kept on the heap: copies deep-copy, an empty one costs a pointer. For the parts of a model
// item that most items lack (a TCP_CHECK has no URLs), so 100,000 real servers stay small.
template <class T>
class Boxed {
public:
    Boxed() = default;
    Boxed(const Boxed& o) : _p(o._p ? std::make_unique<T>(*o._p) : nullptr) {}
    Boxed& operator=(const Boxed& o)
    {
        if (this != &o) {
            _p = o._p ? std::make_unique<T>(*o._p) : nullptr;
        }
        return *this;
    }
    Boxed(Boxed&&) noexcept = default;
    Boxed& operator=(Boxed&&) noexcept = default;

    T& emplace() { _p = std::make_unique<T>(); return *_p; }
    explicit operator bool() const { return _p != nullptr; }
    T* operator->() { return _p.get(); }
    const T* operator->() const { return _p.get(); }
    T& operator*() { return *_p; }
    const T& operator*() const { return *_p; }

private:
    std::unique_ptr<T> _p;
};

struct HttpCheck {  // HTTP_GET / SSL_GET
    std::vector<Url> urls;
    std::string virtualhost;
    bool enable_sni = false;
};

struct MiscCheck {  // MISC_CHECK
    std::string path;
    uint64_t timeout_us = 0;  // 0: delay_loop
    bool dynamic = false;
    std::string user;   // `user NAME [GROUP]`; empty: the default script user
    std::string group;
    std::optional<Exec> exec;  // set by validation
};

struct Checker {
    CheckerType type = CheckerType::tcp_check;
    Location loc;
    std::optional<Ip> connect_ip;
    std::optional<uint16_t> connect_port;
    std::optional<Ip> bindto;
    std::optional<uint16_t> bind_port;
    uint64_t connect_timeout_us = 5 * usec_per_sec;
    std::optional<int> retry;       // unset: 1
    std::optional<uint64_t> delay_before_retry_us;
    std::optional<uint64_t> warmup_us;
    std::optional<uint64_t> delay_loop_us;
    Boxed<HttpCheck> http;          // set for HTTP_GET and SSL_GET
    Boxed<MiscCheck> misc;          // set for MISC_CHECK
    // SMTP_CHECK / DNS_CHECK / FILE_CHECK and the rest: the keywords keepalived knows, kept as written
    std::vector<OpaqueLine> other;
};

struct RealServer {
    Ip addr;
    uint16_t port = 0;
    int weight = 1;
    std::optional<bool> inhibit_on_failure;  // unset: the virtual server's setting
    Command notify_up, notify_down;
    uint32_t uthreshold = 0, lthreshold = 0;
    std::optional<uint64_t> delay_loop_us;
    std::vector<Checker> checkers;
    Location loc;
};

struct VsGroupEntry {
    bool is_fwmark = false;
    uint32_t fwmark = 0;
    Ip first;        // range first..last (the last octet or hextet may be a range end)
    Ip last;
    uint16_t port = 0;
    Location loc;
};

struct VirtualServerGroup {
    std::string name;
    std::vector<VsGroupEntry> entries;
    Location loc;
};

struct VirtualServer {
    enum class By : uint8_t { address, fwmark, group } by = By::address;
    Ip addr;
    uint16_t port = 0;
    uint32_t fwmark = 0;
    std::string group;
    Location loc;
    uint64_t delay_loop_us = 60 * usec_per_sec;
    LbAlgo algo = LbAlgo::wlc;       // keepalived warns when none is given
    bool algo_set = false;
    LbKind kind = LbKind::nat;       // keepalived warns when none is given
    bool kind_set = false;
    Protocol protocol = Protocol::udp;  // keepalived 2.2.7: "no protocol set - defaulting to UDP"
    bool protocol_set = false;
    uint32_t persistence_timeout_s = 0;  // 0: no persistence
    std::optional<Ip> persistence_granularity;
    uint32_t quorum = 1;
    uint32_t hysteresis = 0;
    Command quorum_up, quorum_down;
    std::optional<RealServer> sorry_server;
    bool sorry_server_inhibit = false;
    bool alpha = false, omega = false, ha_suspend = false;
    bool inhibit_on_failure = false;
    std::string virtualhost;
    std::optional<int> retry;
    std::optional<uint64_t> delay_before_retry_us;
    std::optional<uint64_t> warmup_us;
    std::optional<uint64_t> connect_timeout_us;
    std::vector<RealServer> real_servers;
};

// notify_fifo, vrrp_notify_fifo, lvs_notify_fifo `FILENAME [user [group]]` and their *_script
// `COMMAND [user [group]]`: a FIFO that gets a line per state change, made when missing (owned by
// the user), and a script started with the FIFO's name as its last argument.
struct NotifyFifo {
    std::string path;         // empty: none
    std::string user, group;  // the FIFO's owner when vipd makes it; empty: the default script user
    Command script;
    Location loc;
};

struct GlobalDefs {
    std::string router_id;           // empty: the host name
    int vrrp_version = 2;
    std::string script_user;         // empty: keepalived_script if it exists, else root
    std::string script_group;
    bool enable_script_security = false;
    NotifyFifo notify_fifo, vrrp_notify_fifo, lvs_notify_fifo;
    bool vrrp_strict = false;
    bool vrrp_skip_check_adv_addr = false;
    bool vrrp_check_unicast_src = false;
    uint64_t vrrp_garp_interval_us = 0;
    uint64_t vrrp_gna_interval_us = 0;
    uint64_t vrrp_garp_master_delay_us = 5 * usec_per_sec;
    int vrrp_garp_master_repeat = 5;
    uint64_t vrrp_garp_master_refresh_us = 0;
    int vrrp_garp_master_refresh_repeat = 1;
    bool vrrp_garp_lower_prio_delay_set = false;
    Ip vrrp_mcast_group4 = *Ip::parse("224.0.0.18");
    Ip vrrp_mcast_group6 = *Ip::parse("ff02::12");
    bool dynamic_interfaces = false;  // an interface that does not exist yet faults its instance instead of stopping vipd
    std::string nftables_table = "keepalived";  // vrrp_strict / no_accept: the nftables table that drops VIP traffic
    int nftables_priority = -1;
    bool nftables_counters = false;
    std::vector<std::string> notification_email;
    std::string notification_email_from;
    std::string smtp_server;
    uint64_t smtp_connect_timeout_us = 30 * usec_per_sec;
    std::string lvs_sync_daemon;
    std::vector<OpaqueLine> other;   // accepted global keywords vipd does not use yet
};

struct Config {
    GlobalDefs global;
    std::vector<VrrpScript> scripts;
    std::vector<TrackFile> track_files;
    std::vector<SyncGroup> sync_groups;
    std::vector<VrrpInstance> instances;
    std::vector<VirtualServerGroup> vs_groups;
    std::vector<VirtualServer> virtual_servers;
    std::vector<VirtualIp> static_ipaddress;
    std::vector<OpaqueLine> static_routes;
    std::vector<OpaqueLine> static_rules;
    // An interface the config names (instance, track_interface, VIP dev) did not exist when it was read:
    // keepalived 2.2.7 refuses to run such a config unless dynamic_interfaces is set.
    bool nonexistent_interface = false;

    int instance_version(const VrrpInstance& vi) const { return vi.version ? vi.version : global.vrrp_version; }
};

// A script's command split into words as keepalived splits it: blanks separate words, single and
// double quotes group (and are removed), a backslash escapes the next character outside single quotes.
std::vector<std::string> split_command(std::string_view text);

std::string_view to_string(LbAlgo a);
std::string_view to_string(LbKind k);
std::string_view to_string(Protocol p);
std::string_view to_string(CheckerType t);
std::optional<LbAlgo> parse_lb_algo(std::string_view s);
std::optional<LbKind> parse_lb_kind(std::string_view s);
std::optional<Protocol> parse_protocol(std::string_view s);

} // namespace conf
