// keepalived.conf lexer: physical lines in, logical lines of words out.
#include "conf/lexer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

namespace conf {

namespace {

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

std::string dir_of(const std::string& path)
{
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash == 0 ? 1 : slash);
}

// Cuts a physical line at its first comment: `!` or `#` anywhere outside double quotes, even glued
// inside a word (keepalived reads `priority 10!0` as 10).
std::string_view strip_comment(std::string_view text)
{
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && (c == '!' || c == '#')) {
            return text.substr(0, i);
        }
    }
    return text;
}

// keepalived reads each physical line into a C string (fgets), so a NUL byte ends the line there: the
// bytes after it, up to the newline, are never seen.
std::string_view cut_at_nul(std::string_view line)
{
    return line.substr(0, line.find('\0'));
}

} // namespace

Lexer::Lexer(Diagnostics& diags, LexerOptions opts) : _diags(diags), _opts(std::move(opts)) {}

std::string_view Lexer::keep(std::string s)
{
    _buffers.push_back(std::make_unique<std::string>(std::move(s)));
    return *_buffers.back();
}

bool Lexer::push_file(const std::string& path, Location from)
{
    // Only regular files: an `include` of a device or FIFO (/dev/zero, /dev/stdin) must not hang us.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        _diags.add_file(path);
        Location where = from.line == 0 ? Location{} : from;
        _diags.report(from.line == 0 ? Severity::fatal : Severity::error, where,
                      fmt::format("Configuration file '{}' is not a regular file", path));
        return false;
    }
    // One read of exactly the file's size: configs reach megabytes and are held for the whole parse.
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        if (_stack.empty() && from.line == 0) {
            _diags.add_file(path);
            _diags.fatal({}, fmt::format("Configuration file '{}' could not be opened: {}", path, std::strerror(errno)));
        } else {
            _diags.security(from, fmt::format("Configuration file '{}' could not be opened: {}", path, std::strerror(errno)));
        }
        return false;
    }
    std::string text(static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
    in.seekg(0);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    uint32_t idx = _diags.add_file(path);
    _stack.push_back({.file = idx, .dir = dir_of(path), .text = keep(std::move(text)), .line = 0});
    return true;
}

bool Lexer::open(const std::string& path)
{
    return push_file(path, {});
}

void Lexer::open_text(std::string name, std::string text)
{
    uint32_t idx = _diags.add_file(name);
    _stack.push_back({.file = idx, .dir = ".", .text = keep(std::move(text)), .line = 0});
}

void Lexer::include(const Source& src, std::string_view pattern, Location loc)
{
    std::string pat(pattern);
    if (!pat.empty() && pat[0] != '/') {
        pat = src.dir + "/" + pat;
    }
    if (_stack.size() >= _opts.max_include_depth) {
        _diags.error(loc, fmt::format("include '{}' nested more than {} deep - ignoring", pattern, _opts.max_include_depth));
        return;
    }
    glob_t g{};
    int rc = ::glob(pat.c_str(), GLOB_MARK | GLOB_BRACE, nullptr, &g);
    if (rc == GLOB_NOMATCH) {
        // keepalived 2.2.7 only logs this and exits 0 from -t.
        globfree(&g);
        _diags.info(loc, fmt::format("Config files missing '{}'", pattern));
        return;
    }
    if (rc != 0) {
        globfree(&g);
        _diags.error(loc, fmt::format("Error reading config file(s) '{}': glob failed", pattern));
        return;
    }
    std::vector<std::string> files;
    for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string p = g.gl_pathv[i];
        if (!p.empty() && p.back() == '/') {  // GLOB_MARK: directories end in '/'
            _diags.info(loc, fmt::format("Configuration file '{}' is a directory - skipping", p));
        } else if (::access(p.c_str(), X_OK) == 0) {
            _diags.info(loc, fmt::format("Configuration file '{}' is not a regular non-executable file - skipping", p));
        } else {
            files.push_back(std::move(p));
        }
    }
    globfree(&g);
    // The stack reads its top first, so push in reverse to read the matches in glob's sorted order.
    for (auto it = files.rbegin(); it != files.rend(); ++it) {
        push_file(*it, loc);
    }
}

bool Lexer::handle_definition(Source& src, std::string_view body)
{
    // `$NAME=value`; a value ending in `\` continues on the next line.
    size_t i = 1;
    if (i >= body.size() || (body[i] >= '0' && body[i] <= '9')) {
        return false;
    }
    while (i < body.size() && is_name_char(body[i])) {
        ++i;
    }
    if (i == 1) {
        return false;
    }
    std::string_view name = body.substr(1, i - 1);
    size_t eq = i;  // `$X = 1` is not a definition: the `=` must follow the name at once
    if (eq >= body.size() || body[eq] != '=') {
        return false;
    }
    std::string value(trim(strip_comment(body.substr(eq + 1))));
    while (!value.empty() && value.back() == '\\' && !src.text.empty()) {
        value.pop_back();
        size_t nl = src.text.find('\n');
        std::string_view next = cut_at_nul(src.text.substr(0, nl));
        src.text.remove_prefix(nl == std::string_view::npos ? src.text.size() : nl + 1);
        ++src.line;
        value += ' ';
        value += trim(strip_comment(next));
    }
    _defs.insert_or_assign(std::string(name), std::move(value));
    return true;
}

std::string_view Lexer::substitute(std::string_view text)
{
    if (_defs.empty() || text.find('$') == std::string_view::npos) {
        return text;
    }
    std::string out;
    out.reserve(text.size() + 32);
    for (size_t i = 0; i < text.size();) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        size_t start = i + 1;
        bool braced = start < text.size() && text[start] == '{';
        size_t j = braced ? start + 1 : start;
        size_t name_begin = j;
        while (j < text.size() && is_name_char(text[j])) {
            ++j;
        }
        std::string_view name = text.substr(name_begin, j - name_begin);
        if (braced && (j >= text.size() || text[j] != '}')) {
            out += text[i++];
            continue;
        }
        if (!braced && j < text.size() && !is_space(text[j]) && text[j] != ',' && text[j] != ')') {
            out += text[i++];  // `$IFx` is not `$IF` followed by x
            continue;
        }
        auto it = _defs.find(name);
        if (name.empty() || it == _defs.end()) {
            out += text[i++];  // undefined: left as written, as keepalived does
            continue;
        }
        out += it->second;
        i = braced ? j + 1 : j;
    }
    return keep(std::move(out));
}

void Lexer::split(uint32_t file, uint32_t line, std::string_view text, uint32_t col_base)
{
    Line cur{.loc = {file, line, 0}, .words = {}};
    auto emit = [&] {
        if (!cur.words.empty()) {
            cur.loc.col = cur.words.front().col;
            _queue.push_back(std::move(cur));
            cur = Line{.loc = {file, line, 0}, .words = {}};
        }
    };
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) {
            ++i;
        }
        if (i >= text.size()) {
            break;
        }
        auto col = static_cast<uint32_t>(col_base + i + 1);
        char c = text[i];
        if (c == '{') {
            cur.words.push_back({.text = text.substr(i, 1), .col = col, .quoted = false});
            emit();
            ++i;
        } else if (c == '}') {
            emit();
            cur.words.push_back({.text = text.substr(i, 1), .col = col, .quoted = false});
            emit();
            ++i;
        } else if (c == '"') {
            size_t close = text.find('"', i + 1);
            if (close == std::string_view::npos) {
                std::string_view whole = text.substr(text.find_first_not_of(" \t"));
                _diags.warn({file, line, col}, fmt::format("Unterminated quote '{}' - dropping the quoted text", whole));
                break;
            }
            cur.words.push_back({.text = text.substr(i + 1, close - i - 1), .col = col, .quoted = true});
            i = close + 1;
        } else {
            size_t j = i;
            while (j < text.size() && !is_space(text[j]) && text[j] != '{' && text[j] != '}' && text[j] != '"') {
                ++j;
            }
            cur.words.push_back({.text = text.substr(i, j - i), .col = col, .quoted = false});
            i = j;
        }
    }
    emit();
}

bool Lexer::fill()
{
    while (_queue.empty()) {
        if (_stack.empty()) {
            return false;
        }
        Source& src = _stack.back();
        if (src.text.empty()) {
            _stack.pop_back();
            continue;
        }
        size_t nl = src.text.find('\n');
        std::string_view phys = cut_at_nul(src.text.substr(0, nl));
        src.text.remove_prefix(nl == std::string_view::npos ? src.text.size() : nl + 1);
        ++src.line;
        const Location loc{src.file, src.line, 1};
        _last = loc;

        size_t lead = 0;
        while (lead < phys.size() && is_space(phys[lead])) {
            ++lead;
        }
        std::string_view body = phys.substr(lead);
        if (body.empty()) {
            continue;
        }
        if (body[0] == '@') {
            // `@id rest` keeps rest only on the node whose config id is `id`; `@^id rest` everywhere else.
            bool negate = body.size() > 1 && body[1] == '^';
            size_t b = negate ? 2 : 1;
            size_t e = b;
            while (e < body.size() && !is_space(body[e])) {
                ++e;
            }
            std::string_view id = body.substr(b, e - b);
            bool match = id == _opts.config_id;
            if (id.empty() || match == negate) {
                continue;
            }
            phys = phys.substr(lead + e);
            body = trim(phys);
        }
        if (!body.empty() && body[0] == '$' && handle_definition(src, body)) {
            continue;
        }
        std::string_view text = strip_comment(phys);
        std::string_view expanded = substitute(text);
        const auto before = _queue.size();
        split(src.file, src.line, expanded, expanded.data() == text.data() ? 0 : 0);
        // `include` is a lexical directive: replace the line with the files it names.
        if (_queue.size() > before && _queue[before].words[0].text == "include" && !_queue[before].words[0].quoted) {
            Line inc = std::move(_queue[before]);
            _queue.erase(_queue.begin() + static_cast<std::ptrdiff_t>(before));
            if (inc.words.size() < 2) {
                _diags.error(inc.loc, "include requires a file name or glob");
            } else {
                Source copy = _stack.back();  // include may grow the stack, invalidating `src`
                for (size_t w = 1; w < inc.words.size(); ++w) {
                    include(copy, inc.words[w].text, inc.at(w));
                }
            }
        }
    }
    return true;
}

bool Lexer::next(Line& out)
{
    if (!fill()) {
        return false;
    }
    out = std::move(_queue.front());
    _queue.pop_front();
    return true;
}

const Line* Lexer::peek()
{
    return fill() ? &_queue.front() : nullptr;
}

} // namespace conf
