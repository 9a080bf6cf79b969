// The parser's block mechanics and value helpers, shared by the keyword tables of global.cc, vrrp.cc
// and ipvs.cc: braces counted as keepalived counts them, one run_block() for every block, and the
// handlers that most keywords share (a flag, a number in a range, a time, a script).
#pragma once

#include "conf/diag.h"
#include "conf/lexer.h"
#include "conf/model.h"
#include "conf/parser.h"

#include <fmt/format.h>

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace conf::parser {

class Parser;

// What a keyword does to the object of the block it stands in.
template <class T>
using Handler = void (*)(Parser&, const Line&, T&);
template <class T>
using Table = std::unordered_map<std::string_view, Handler<T>>;
using Keywords = std::unordered_set<std::string_view>;

// The keywords keepalived knows in a block that vipd takes without acting on them. `accepted` ones go
// to `accept`, which says what that means in this block (a note, the line kept as written); a `{` after
// one is skipped with its body. `dropped` ones are taken alone and forgotten, as keepalived takes a
// keyword without a block: a `{` after one is read as the enclosing block's.
template <class T>
struct Ignored {
    Keywords accepted;
    Handler<T> accept = nullptr;
    Keywords dropped;
};

std::string str(std::string_view s);
// Timers in keepalived's decimal seconds ("1", "0.05") to microseconds; false if malformed.
bool parse_decimal_us(std::string_view s, uint64_t& out);
std::string format_us(uint64_t us);

// The object and the type of a pointer to member, and the type a value is stored as (an optional's).
template <class M>
struct member_traits;
template <class Object, class Field>
struct member_traits<Field Object::*> {
    using object = Object;
    using field = Field;
};
template <auto Member>
using object_of = typename member_traits<decltype(Member)>::object;
template <class Field>
struct stored {
    using type = Field;
};
template <class Field>
struct stored<std::optional<Field>> {
    using type = Field;
};
template <auto Member>
using stored_of = typename stored<typename member_traits<decltype(Member)>::field>::type;

class Parser {
public:
    Parser(Lexer& lex, Diagnostics& d, Config& cfg, const Environment& env) : _lex(lex), _d(d), _cfg(cfg), _env(env) {}

    void run();

    // --- handlers that keywords share ---------------------------------------------------------
    // The keyword alone sets a flag (or clears it: nopreempt, no_accept).
    template <auto Member, bool Value = true>
    static void flag(Parser&, const Line&, object_of<Member>& o)
    {
        o.*Member = Value;
    }
    // An integer in [Lo, Hi].
    template <auto Member, int64_t Lo, int64_t Hi>
    static void number(Parser& p, const Line& l, object_of<Member>& o)
    {
        if (auto v = p.integer(l, 1, Lo, Hi)) {
            o.*Member = static_cast<stored_of<Member>>(*v);
        }
    }
    // Whole seconds in [Lo, Hi], kept in microseconds.
    template <auto Member, int64_t Lo, int64_t Hi>
    static void whole_seconds(Parser& p, const Line& l, object_of<Member>& o)
    {
        if (auto v = p.integer(l, 1, Lo, Hi)) {
            o.*Member = static_cast<uint64_t>(*v) * usec_per_sec;
        }
    }
    // Decimal seconds in [Lo, Hi] microseconds.
    template <auto Member, uint64_t Lo, uint64_t Hi>
    static void decimal_seconds(Parser& p, const Line& l, object_of<Member>& o)
    {
        if (auto v = p.seconds(l, 1, Lo, Hi)) {
            o.*Member = *v;
        }
    }
    // A counter that must be at least 1, named by its keyword when it is not.
    template <auto Member>
    static void repeat(Parser& p, const Line& l, object_of<Member>& o)
    {
        p.at_least_one(l, p.integer(l, 1, 0, INT_MAX), o.*Member, l.words[0].text);
    }
    // One word of text (empty when missing).
    template <auto Member>
    static void word(Parser& p, const Line& l, object_of<Member>& o)
    {
        o.*Member = str(p.text(l, 1));
    }
    // One word that must be there: `Missing` is the complaint when it is not (the value stays).
    template <auto Member, const char* Missing>
    static void required_word(Parser& p, const Line& l, object_of<Member>& o)
    {
        if (l.argc() < 2) {
            p._d.error(l.at(0), Missing);
            return;
        }
        o.*Member = str(l.words[1].text);
    }
    // An address; a complaint names the keyword, or what `What` says (an instance's name before it).
    template <auto Member, std::string (*What)(const Line&, const object_of<Member>&) = nullptr>
    static void address(Parser& p, const Line& l, object_of<Member>& o)
    {
        std::optional<Ip> a;
        if constexpr (What == nullptr) {
            a = p.ip(l, 1, l.words[0].text);
        } else {
            a = p.ip(l, 1, What(l, o));
        }
        if (a) {
            o.*Member = a;
        }
    }
    // A value that is one of a few names (lb_algo, lb_kind, protocol): `Parse` reads it and `Given`
    // records that it was given; `Allowed` ends the complaint about any other value (nullptr: none made).
    template <auto Member, auto Given, auto Parse, const char* Allowed>
    static void one_of(Parser& p, const Line& l, object_of<Member>& o)
    {
        std::string_view s = p.text(l, 1);
        if (auto v = Parse(s)) {
            o.*Member = *v;
            o.*Given = true;
        } else if constexpr (Allowed != nullptr) {
            if (!s.empty()) {
                p._d.error(l.at(1), fmt::format("{} '{}' {}", l.words[0].text, s, Allowed));
            }
        }
    }
    // A notify, quorum or up/down script: the block's `Member`, or the `Inner` Command of it (`notify`).
    template <auto Member, auto Inner = nullptr>
    static void script(Parser& p, const Line& l, object_of<Member>& o)
    {
        if constexpr (Inner == nullptr) {
            o.*Member = p.notify_command(l);
        } else {
            (o.*Member).*Inner = p.notify_command(l);
        }
    }
    // `weight N [reverse]` of a vrrp_script or a track_file.
    template <class T, int Limit>
    static void weight(Parser& p, const Line& l, T& o)
    {
        if (auto v = p.integer(l, 1, -Limit, Limit)) {
            o.weight = static_cast<int>(*v);
        }
        o.weight_reverse = l.argc() > 2 && l.words[2].text == "reverse";
    }

private:
    // --- block mechanics (block.cc) ----------------------------------------------------------
    // Every line is read here so braces are counted as keepalived counts them: a `}` that closes
    // nothing is "Extra", and what stays open at the end of input is reported there.
    bool read(Line& line);
    // True when `head` opens a block (`{` at its end or alone on the next line).
    bool enter(const Line& head);
    // A block keyword without `{`: keepalived says so and reads the following lines as its body anyway.
    bool expect_block(const Line& head);
    // The next line inside the current block; false at its `}` (consumed) or at the end of input.
    bool next_in_block(Line& line);
    // Skips the block of a keyword vipd accepts without reading (its braces still count).
    void skip_block();
    // keepalived does not skip an unknown keyword's block: its `{` is "unexpected" and the body is read
    // as keywords of the enclosing block, whose `}` then closes the enclosing block.
    void unknown(const Line& l);
    // A keyword keepalived accepts that vipd records but does not act on yet.
    void accepted(const Line& l, std::vector<OpaqueLine>* keep = nullptr);
    // The same, said at -D: "'KEYWORD' is accepted but not used by vipd", after `who` when given.
    void unused(const Line& l, std::string_view who, std::vector<OpaqueLine>* keep = nullptr);
    static OpaqueLine opaque(const Line& l);

    // One keyword line of a block: its table's handler, else what the block does with keywords it
    // ignores, else "Unknown keyword".
    template <class T>
    void dispatch(const Table<T>& table, const Ignored<T>& ignored, const Line& l, T& obj)
    {
        const std::string_view kw = l.words[0].text;
        if (auto it = table.find(kw); it != table.end()) {
            it->second(*this, l, obj);
        } else if (ignored.accepted.contains(kw)) {
            ignored.accept(*this, l, obj);
        } else if (!ignored.dropped.contains(kw)) {
            unknown(l);
        }
    }
    // The body of a keyword block, up to its `}`.
    template <class T>
    void run_block(const Table<T>& table, const Ignored<T>& ignored, T& obj)
    {
        Line l;
        while (next_in_block(l)) {
            dispatch(table, ignored, l, obj);
        }
    }
    template <class T>
    void run_block(const Table<T>& table, T& obj)
    {
        run_block(table, Ignored<T>{}, obj);
    }
    // A keyword block from its head line: false (reported) when no `{` follows it.
    template <class T>
    bool read_block(const Line& head, const Table<T>& table, const Ignored<T>& ignored, T& obj)
    {
        if (!expect_block(head)) {
            return false;
        }
        run_block(table, ignored, obj);
        return true;
    }
    template <class T>
    bool read_block(const Line& head, const Table<T>& table, T& obj)
    {
        return read_block(head, table, Ignored<T>{}, obj);
    }
    // The item of a named block (vrrp_script NAME, track_file NAME, vrrp_sync_group NAME,
    // virtual_server_group NAME): its name (empty when the head has none) and where it starts.
    template <class T>
    static T named_item(const Line& head)
    {
        T item;
        item.name = head.argc() > 1 ? str(head.words[1].text) : std::string();
        item.loc = head.loc;
        return item;
    }
    // The body of a block whose lines are items (addresses, routes, names), not keywords: `item` gets
    // each line; a `{` after one is skipped with its body.
    template <class F>
    void each_line(const Line& head, F&& item)
    {
        if (!expect_block(head)) {
            return;
        }
        Line l;
        while (next_in_block(l)) {
            item(l);
            if (enter(l)) {
                skip_block();
            }
        }
    }
    // Every word of a block of names (notification_email, a sync group, linkbeat_interfaces).
    std::vector<std::pair<std::string, Location>> word_block(const Line& head);

    // --- values (block.cc) -------------------------------------------------------------------
    std::optional<std::string_view> arg(const Line& l, size_t i);
    // Integer in [lo, hi]; on failure reports (keepalived drops the setting) and returns nullopt.
    std::optional<int64_t> integer(const Line& l, size_t i, int64_t lo, int64_t hi);
    // Decimal seconds in [lo, hi] microseconds.
    std::optional<uint64_t> seconds(const Line& l, size_t i, uint64_t lo_us, uint64_t hi_us);
    std::optional<Ip> ip(const Line& l, size_t i, std::string_view what);
    std::optional<uint16_t> port(const Line& l, size_t i);
    std::string_view text(const Line& l, size_t i) { return arg(l, i).value_or(std::string_view()); }
    // A script's command: the one word (or quoted string) after the keyword, as keepalived takes it;
    // further words are a notify line's user and group, and are ignored elsewhere.
    std::string command(const Line& l, size_t from);
    // `notify_* COMMAND [user [group]]` (and quorum_up/down, notify_up/down): the user and group are
    // not arguments of the script but who it runs as.
    Command notify_command(const Line& l);
    // With enable_script_security and no script_user, scripts run as keepalived_script; where that
    // user does not exist keepalived removes every script that has no user of its own.
    bool default_user_missing(Location at);
    // Fix-up of a counter that must be at least 1, as keepalived does for repeats and timeouts.
    template <class T>
    void at_least_one(const Line& l, std::optional<int64_t> v, T& out, std::string_view what)
    {
        if (!v) {
            return;
        }
        if (*v == 0) {
            _d.warn(l.at(1), fmt::format("{} must be greater than 0, setting to 1", what));
            out = 1;
            return;
        }
        out = static_cast<T>(*v);
    }
    // Whole seconds in [1, 4294], 0 taken as 1 (a script's interval and timeout, the SMTP timeout).
    void whole_seconds_at_least_one(const Line& l, uint64_t& out_us, std::string_view what);

    // --- blocks (global.cc, vrrp.cc, addresses.cc, ipvs.cc) ------------------------------------
    void global_defs(const Line& head);
    void vrrp_script(const Line& head);
    void track_file(const Line& head);
    void sync_group(const Line& head);
    void vrrp_instance(const Line& head);
    void vs_group(const Line& head);
    void virtual_server(const Line& head);
    void real_server(const Line& head, VirtualServer& vs);
    void checker(const Line& head, CheckerType type, RealServer& rs);
    void url(const Line& head, Checker& c);

    void vip_block(const Line& head, std::vector<VirtualIp>& out, const std::string& context);
    std::optional<VirtualIp> vip_line(const Line& l, const std::string& context);
    void route_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp);
    void rule_block(const Line& head, std::vector<OpaqueLine>& out, bool vrrp);
    void track_block(const Line& head, std::vector<TrackRef>& out, int min_weight, int max_weight);
    void track_scripts(const Line& head, VrrpInstance* vi, std::vector<TrackRef>& out);
    void track_files(const Line& head, const std::string& who, std::vector<TrackRef>& out);

    Lexer& _lex;
    Diagnostics& _d;
    Config& _cfg;
    const Environment& _env;
    bool _default_user_reported = false;
    int _braces = 0;              // open `{` not yet closed
    std::string _unbraced_block;  // set while reading the body of a top-level block that lacks its `{`
    std::vector<RealServer> _rs_scratch;
    const RealServer* _rs_checked = nullptr;  // whose checker block is being read (BFD_CHECK names it)
    Location _block_end;
    int _static_rule_pref = 16384;
    int _vrrp_rule_pref = 16383;
};

}  // namespace conf::parser
