// keepalived's track_file: an integer in a file that raises or lowers an instance's priority, or faults
// it, re-read whenever the file is written, moved in or removed. The daemon waits on the inotify
// descriptor in its Asio loop (no polling); the arithmetic and the parsing are pure, for unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace control {

// What one tracking reference makes of a file's value, as keepalived 2.2.7 computes it: with weight 0,
// a non-zero value faults the instance (reverse: a zero value does); otherwise value × weight, negated
// by reverse, is added to the priority, at most 253, and a product of -254 or less faults it.
struct FileEffect {
    bool fault = false;
    int delta = 0;
    int status = 0;  // keepalived's "status" (the clamped product, -254 for a fault), for its log lines
    bool operator==(const FileEffect&) const = default;
};
FileEffect track_file_effect(int64_t value, int weight, bool reverse);

// A file's text read as keepalived reads it (strtol, base 0: leading blanks, a sign, 0x hex, 0 octal,
// anything after the number ignored; no number at all is 0). nullopt when the number does not fit an
// int: keepalived logs "Invalid number" and keeps the previous value.
std::optional<int64_t> parse_track_value(std::string_view text);
// The file's value now: 0 when it is missing, unreadable or empty (keepalived: "treat as 0").
std::optional<int64_t> read_track_file(const std::string& path);

// One inotify descriptor watching the directories of the tracked files, for IN_CLOSE_WRITE, IN_MOVE and
// IN_DELETE on them (a file that does not exist yet is watched for through its directory, as keepalived
// does). Not copyable; closes its descriptor when destroyed.
class TrackFileWatcher {
public:
    struct Change {
        std::string name;  // the track_file's name
        std::optional<int64_t> value;  // nullopt: the content was not a valid number, keep the old value
    };

    TrackFileWatcher();
    ~TrackFileWatcher();
    TrackFileWatcher(const TrackFileWatcher&) = delete;
    TrackFileWatcher& operator=(const TrackFileWatcher&) = delete;

    // Resolves `path` (symbolic links, a relative directory) and watches its directory. false with
    // `error` set (keepalived's wording) when the directory does not exist or the file is not accessible.
    bool add(const std::string& name, const std::string& path, std::string& error);
    // The resolved path of a watched file (what is read), empty when `name` is not watched.
    std::string path_of(const std::string& name) const;
    int fd() const { return _fd; }
    bool ok() const { return _fd >= 0; }
    // Drains the queued events without blocking: the watched files they concern, with their new values.
    std::vector<Change> read_events();

private:
    struct Watched {
        std::string name;
        std::string path;  // resolved
        std::string base;  // the file's name inside its directory
        int wd = -1;
    };
    int _fd = -1;
    std::vector<Watched> _files;
};

} // namespace control
