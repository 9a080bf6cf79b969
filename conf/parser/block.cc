// How the parser reads blocks and values: what keepalived says of braces, missing parameters and
// numbers out of range, in one place for every keyword table.
#include "conf/parser/block.h"

#include <fmt/format.h>

#include <charconv>

namespace conf::parser {

std::string str(std::string_view s)
{
    return std::string(s);
}

bool parse_decimal_us(std::string_view s, uint64_t& out)
{
    uint64_t whole = 0;
    uint64_t frac = 0;
    size_t i = 0;
    if (s.empty()) {
        return false;
    }
    bool digits = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
        digits = true;
        if (whole > UINT32_MAX) {
            return false;
        }
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        uint64_t scale = 100000;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            frac += static_cast<uint64_t>(s[i] - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    if (i != s.size() || !digits) {
        return false;
    }
    out = whole * usec_per_sec + frac;
    return true;
}

std::string format_us(uint64_t us)
{
    if (us % usec_per_sec == 0) {
        return fmt::format("{}", us / usec_per_sec);
    }
    std::string s = fmt::format("{}.{:06}", us / usec_per_sec, us % usec_per_sec);
    while (s.back() == '0') {
        s.pop_back();
    }
    return s;
}

// --- block mechanics -------------------------------------------------------------------------

bool Parser::read(Line& line)
{
    if (!_lex.next(line)) {
        return false;
    }
    if (line.opens_block()) {
        ++_braces;
    } else if (line.is_close() && --_braces < 0) {
        _d.warn(line.at(0), "Extra '}' found");
        _braces = 0;
    }
    return true;
}

bool Parser::enter(const Line& head)
{
    if (head.opens_block()) {
        return true;
    }
    const Line* next = _lex.peek();
    if (next != nullptr && next->is_open_only()) {
        Line brace;
        read(brace);
        return true;
    }
    return false;
}

bool Parser::expect_block(const Line& head)
{
    if (enter(head)) {
        return true;
    }
    const Line* next = _lex.peek();
    _d.warn(next != nullptr ? next->loc : head.loc,
            fmt::format("Missing '{{' at beginning of configuration block '{}'", head.words[0].text));
    if (_braces == 0) {
        // keepalived then reads every line up to the block's end as a stray top-level keyword too;
        // vipd points at each of them once, naming the block they were meant for.
        _unbraced_block =
            fmt::format("{} {}", head.words[0].text, head.argc() > 1 ? head.words[1].text : std::string_view());
    }
    return true;
}

bool Parser::next_in_block(Line& line)
{
    while (read(line)) {
        if (!_unbraced_block.empty()) {
            _d.warn(line.at(0), fmt::format("'{}' is read as part of '{}', which lacks its '{{'", line.words[0].text,
                                            _unbraced_block));
        }
        if (line.is_close()) {
            _block_end = line.loc;
            return false;
        }
        if (line.is_open_only()) {
            _d.warn(line.at(0), "Unexpected '{' - ignoring");
            continue;
        }
        return true;
    }
    _block_end = _lex.end_location();
    return false;
}

void Parser::skip_block()
{
    Line l;
    int depth = 1;
    while (depth > 0 && read(l)) {
        if (l.is_close()) {
            --depth;
        } else if (l.opens_block()) {
            ++depth;
        }
    }
}

void Parser::unknown(const Line& l)
{
    _d.warn(l.at(0), fmt::format("Unknown keyword '{}'", l.words[0].text));
    if (l.opens_block()) {
        _d.warn(l.at(l.words.size() - 1), "Unexpected '{' - ignoring");
    }
}

void Parser::accepted(const Line& l, std::vector<OpaqueLine>* keep)
{
    if (keep != nullptr) {
        keep->push_back(opaque(l));
    }
    if (enter(l)) {
        skip_block();
    }
}

void Parser::unused(const Line& l, std::string_view who, std::vector<OpaqueLine>* keep)
{
    _d.note(l.at(0), fmt::format("{}'{}' is accepted but not used by vipd", who, l.words[0].text));
    accepted(l, keep);
}

OpaqueLine Parser::opaque(const Line& l)
{
    OpaqueLine o{.words = {}, .loc = l.loc};
    for (size_t i = 0; i < l.argc(); ++i) {
        o.words.push_back(str(l.words[i].text));
    }
    return o;
}

std::vector<std::pair<std::string, Location>> Parser::word_block(const Line& head)
{
    std::vector<std::pair<std::string, Location>> out;
    each_line(head, [&](const Line& l) {
        for (size_t i = 0; i < l.argc(); ++i) {
            out.emplace_back(str(l.words[i].text), l.at(i));
        }
    });
    return out;
}

// --- values ----------------------------------------------------------------------------------

std::optional<std::string_view> Parser::arg(const Line& l, size_t i)
{
    if (i < l.argc()) {
        return l.words[i].text;
    }
    _d.report(
        Severity::abort, l.at(0),
        fmt::format("Configuration line starting '{}' is missing a parameter after keyword '{}' at word position {}",
                    l.words[0].text, l.words[0].text, i));
    return std::nullopt;
}

std::optional<int64_t> Parser::integer(const Line& l, size_t i, int64_t lo, int64_t hi)
{
    auto a = arg(l, i);
    if (!a) {
        return std::nullopt;
    }
    int64_t v = 0;
    auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), v);
    if (ec != std::errc() || p != a->data() + a->size()) {
        _d.error(l.at(i), fmt::format("{}: '{}' is not a valid number (allowed: integer in [{}, {}])", l.words[0].text,
                                      *a, lo, hi));
        return std::nullopt;
    }
    if (v < lo || v > hi) {
        _d.error(l.at(i), fmt::format("{}: number '{}' outside range [{}, {}]", l.words[0].text, *a, lo, hi));
        return std::nullopt;
    }
    return v;
}

std::optional<uint64_t> Parser::seconds(const Line& l, size_t i, uint64_t lo_us, uint64_t hi_us)
{
    auto a = arg(l, i);
    if (!a) {
        return std::nullopt;
    }
    uint64_t us = 0;
    if (!parse_decimal_us(*a, us)) {
        _d.error(l.at(i), fmt::format("{}: '{}' is not a valid number of seconds (allowed: [{}, {}])", l.words[0].text,
                                      *a, format_us(lo_us), format_us(hi_us)));
        return std::nullopt;
    }
    if (us < lo_us || us > hi_us) {
        _d.error(l.at(i), fmt::format("{}: number '{}' outside range [{}, {}]", l.words[0].text, *a, format_us(lo_us),
                                      format_us(hi_us)));
        return std::nullopt;
    }
    return us;
}

std::optional<Ip> Parser::ip(const Line& l, size_t i, std::string_view what)
{
    auto a = arg(l, i);
    if (!a) {
        return std::nullopt;
    }
    auto v = Ip::parse(*a);
    if (!v) {
        _d.error(l.at(i), fmt::format("{}: invalid IP address '{}' - skipping", what, *a));
    }
    return v;
}

std::optional<uint16_t> Parser::port(const Line& l, size_t i)
{
    auto v = integer(l, i, 0, 65535);
    if (!v) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(*v);
}

std::string Parser::command(const Line& l, size_t from)
{
    std::string out = from < l.argc() ? std::string(l.words[from].text) : std::string();
    if (out.empty()) {
        _d.error(l.at(0), fmt::format("{}: missing script", l.words[0].text));
    }
    return out;
}

Command Parser::notify_command(const Line& l)
{
    Command c;
    c.text = command(l, 1);
    c.loc = l.at(1);
    if (l.argc() > 2) {
        c.user = str(l.words[2].text);
    }
    if (l.argc() > 3) {
        c.group = str(l.words[3].text);
    }
    if (!c.text.empty() && c.user.empty()) {
        (void)default_user_missing(l.at(0));
    }
    return c;
}

bool Parser::default_user_missing(Location at)
{
    const auto& g = _cfg.global;
    if (!g.enable_script_security || !g.script_user.empty() || _env.user_exists("keepalived_script")) {
        return false;
    }
    if (!_default_user_reported) {
        _d.error(at, "Unable to set default user keepalived_script for script");
        _default_user_reported = true;
    }
    return true;
}

void Parser::whole_seconds_at_least_one(const Line& l, uint64_t& out_us, std::string_view what)
{
    uint64_t secs = 0;
    at_least_one(l, integer(l, 1, 0, 4294), secs, what);
    if (secs != 0) {
        out_us = secs * usec_per_sec;
    }
}

}  // namespace conf::parser
