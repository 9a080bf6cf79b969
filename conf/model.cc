// Small value types of the config model: addresses and enum names.
#include "conf/model.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>

namespace conf {

std::optional<Ip> Ip::parse(std::string_view text)
{
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    std::array<char, INET6_ADDRSTRLEN + 1> buf{};
    text.copy(buf.data(), text.size());
    Ip ip;
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf.data(), ip.bytes.data()) != 1) {
            return std::nullopt;
        }
        ip.family = AF_INET;
    } else {
        if (inet_pton(AF_INET6, buf.data(), ip.bytes.data()) != 1) {
            return std::nullopt;
        }
        ip.family = AF_INET6;
    }
    return ip;
}

bool Ip::is_v4() const
{
    return family == AF_INET;
}

std::string Ip::str() const
{
    if (family == 0) {
        return {};
    }
    std::array<char, INET6_ADDRSTRLEN> buf{};
    inet_ntop(family, bytes.data(), buf.data(), buf.size());
    return buf.data();
}

namespace {
constexpr std::array<std::string_view, 13> algo_names = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq", "fo", "ovf"};
constexpr std::array<std::string_view, 3> kind_names = {"NAT", "DR", "TUN"};
constexpr std::array<std::string_view, 3> proto_names = {"TCP", "UDP", "SCTP"};
constexpr std::array<std::string_view, 10> checker_names = {"HTTP_GET", "SSL_GET", "TCP_CHECK", "MISC_CHECK", "DNS_CHECK", "SMTP_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK", "BFD_CHECK"};

template <class E, size_t N>
std::optional<E> find_name(const std::array<std::string_view, N>& names, std::string_view s)
{
    for (size_t i = 0; i < N; ++i) {
        if (names[i] == s) {
            return static_cast<E>(i);
        }
    }
    return std::nullopt;
}
} // namespace

std::vector<std::string> split_command(std::string_view text)
{
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
                word += text[++i];
            } else {
                word += c;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            if (in_word) {
                out.push_back(std::move(word));
                word.clear();
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '\\' && i + 1 < text.size()) {
            word += text[++i];
        } else {
            word += c;
        }
    }
    if (in_word) {
        out.push_back(std::move(word));
    }
    return out;
}

std::string_view to_string(LbAlgo a) { return algo_names[static_cast<size_t>(a)]; }
std::string_view to_string(LbKind k) { return kind_names[static_cast<size_t>(k)]; }
std::string_view to_string(Protocol p) { return proto_names[static_cast<size_t>(p)]; }
std::string_view to_string(CheckerType t) { return checker_names[static_cast<size_t>(t)]; }
std::optional<LbAlgo> parse_lb_algo(std::string_view s) { return find_name<LbAlgo>(algo_names, s); }
std::optional<LbKind> parse_lb_kind(std::string_view s) { return find_name<LbKind>(kind_names, s); }
std::optional<Protocol> parse_protocol(std::string_view s) { return find_name<Protocol>(proto_names, s); }

} // namespace conf
