// The one error style at vipd's seams (STYLE: "the control plane returns std::expected-like
// results"): a value or the reason there is none, as one sentence for the log. C++20 has no
// std::expected; this is the part of it vipd uses. No exceptions cross a seam.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vipd {

/// Why something could not be done: a sentence for the log ("netlink: Operation not permitted").
struct Error {
    std::string what;
};

inline Error fail(std::string what)
{
    return Error{std::move(what)};
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : _v(std::move(value)) {}
    Result(Error e) : _v(std::move(e)) {}

    bool ok() const noexcept { return _v.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    /// The value; only when ok().
    T& value() & { return std::get<0>(_v); }
    const T& value() const& { return std::get<0>(_v); }
    T&& value() && { return std::get<0>(std::move(_v)); }
    /// Why not; empty when ok().
    const std::string& error() const noexcept
    {
        static const std::string none;
        return ok() ? none : std::get<1>(_v).what;
    }

private:
    std::variant<T, Error> _v;
};

/// Done, or why not.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : _e(std::move(e.what)) {}

    bool ok() const noexcept { return !_e.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    const std::string& error() const noexcept
    {
        static const std::string none;
        return _e ? *_e : none;
    }

private:
    std::optional<std::string> _e;
};
using Status = Result<void>;

} // namespace vipd
