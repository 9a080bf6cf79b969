// The first word of a command line, blanks (space, tab) around it dropped: how keepalived names a
// MISC_CHECK's script in its log lines, without the script's arguments.
#pragma once

#include <string>
#include <string_view>

namespace conf {

inline std::string first_word(std::string_view s)
{
    auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    auto e = s.find_first_of(" \t", b);
    return std::string(s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b));
}

}  // namespace conf
