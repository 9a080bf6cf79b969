// The lexical layer of keepalived.conf: turns files into logical lines of words, handling comments,
// quotes, braces glued to words, `include` globs, `$NAME` definitions and `@id` conditional lines,
// with every word keeping its file, line and column through includes.
#pragma once

#include "conf/diag.h"

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace conf {

struct Word {
    std::string_view text;  // points into storage owned by the Lexer; valid for the Lexer's lifetime
    uint32_t col = 0;
    bool quoted = false;
};

// One logical line. A physical line is split at braces, so `{` and `}` always stand alone as the
// last word (`{`) or as the only word (`}`): `virtual_routes{}` gives [virtual_routes {] and [}].
struct Line {
    Location loc;
    std::vector<Word> words;

    bool opens_block() const { return !words.empty() && !words.back().quoted && words.back().text == "{"; }
    bool is_close() const { return words.size() == 1 && !words[0].quoted && words[0].text == "}"; }
    bool is_open_only() const { return words.size() == 1 && opens_block(); }
    // Number of value words, not counting a trailing `{`.
    size_t argc() const { return words.size() - (opens_block() ? 1 : 0); }
    Location at(size_t i) const { return {loc.file, loc.line, i < words.size() ? words[i].col : loc.col}; }
};

struct LexerOptions {
    std::string config_id;  // `@id` lines are kept when id matches, `@^id` lines when it does not
    unsigned max_include_depth = 32;
};

class Lexer {
public:
    Lexer(Diagnostics& diags, LexerOptions opts);

    // Opens the main file. On failure reports a fatal diagnostic and returns false.
    bool open(const std::string& path);
    // Opens text held in memory (tests, fuzzing); `name` is what diagnostics call it.
    void open_text(std::string name, std::string text);

    bool next(Line& out);          // the next logical line; false at the end of all input
    const Line* peek();            // the next logical line without consuming it; nullptr at end
    Location end_location() const { return _last; }

    const std::map<std::string, std::string, std::less<>>& definitions() const { return _defs; }

private:
    struct Source {
        uint32_t file = 0;
        std::string dir;
        std::string_view text;  // remaining text
        uint32_t line = 0;
    };

    bool fill();  // reads physical lines until at least one logical line is queued
    void split(uint32_t file, uint32_t line, std::string_view text, uint32_t col_base);
    bool handle_definition(Source& src, std::string_view body);
    std::string_view substitute(std::string_view text);
    void include(const Source& src, std::string_view pattern, Location loc);
    bool push_file(const std::string& path, Location from);
    std::string_view keep(std::string s);

    Diagnostics& _diags;
    LexerOptions _opts;
    std::vector<std::unique_ptr<std::string>> _buffers;  // file contents and expanded lines
    std::vector<Source> _stack;
    std::deque<Line> _queue;
    std::map<std::string, std::string, std::less<>> _defs;
    Location _last;
};

} // namespace conf
