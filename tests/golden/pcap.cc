// The classic pcap format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a file header
// (magic, version 2.4, zone, sigfigs, snap length, link type) and per frame (seconds, microseconds,
// captured length, original length), each field in the writer's byte order; this one writes little
// endian and reads either.
#include "tests/golden/pcap.h"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>

namespace golden::pcap {
namespace {

constexpr uint32_t magic_usec = 0xa1b2c3d4;
constexpr uint32_t magic_nsec = 0xa1b23c4d;
constexpr uint32_t snaplen = 65535;
constexpr uint32_t linktype_ethernet = 1;

struct Closer {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, Closer>;

void put32(Bytes& b, uint32_t v)
{
    for (int i = 0; i < 4; ++i) {
        b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
}
void put16(Bytes& b, uint16_t v)
{
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
}

uint32_t get32(const uint8_t* p, bool swapped) noexcept
{
    uint32_t v = 0;
    std::memcpy(&v, p, 4);
    return swapped ? __builtin_bswap32(v) : v;
}

}  // namespace

std::string write(const std::string& path, const std::vector<Record>& records)
{
    Bytes b;
    put32(b, magic_usec);
    put16(b, 2);
    put16(b, 4);
    put32(b, 0);  // thiszone: UTC
    put32(b, 0);  // sigfigs
    put32(b, snaplen);
    put32(b, linktype_ethernet);
    for (const Record& r : records) {
        if (r.frame.size() > snaplen) {
            return "a frame of " + std::to_string(r.frame.size()) + " bytes is over the snap length";
        }
        put32(b, r.sec);
        put32(b, r.usec);
        put32(b, static_cast<uint32_t>(r.frame.size()));
        put32(b, static_cast<uint32_t>(r.frame.size()));
        b.insert(b.end(), r.frame.begin(), r.frame.end());
    }
    const File f(std::fopen(path.c_str(), "wb"));
    if (!f) {
        return path + ": " + std::strerror(errno);
    }
    if (std::fwrite(b.data(), 1, b.size(), f.get()) != b.size() || std::fflush(f.get()) != 0) {
        return path + ": " + std::strerror(errno);
    }
    return {};
}

std::optional<std::vector<Record>> read(const std::string& path, std::string& error)
{
    const File f(std::fopen(path.c_str(), "rb"));
    if (!f) {
        error = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    Bytes b;
    uint8_t chunk[4096];
    for (size_t n = 0; (n = std::fread(chunk, 1, sizeof chunk, f.get())) != 0;) {
        b.insert(b.end(), chunk, chunk + n);
    }
    if (b.size() < 24) {
        error = path + ": shorter than a pcap file header";
        return std::nullopt;
    }
    uint32_t magic = 0;
    std::memcpy(&magic, b.data(), 4);
    const bool swapped = magic == __builtin_bswap32(magic_usec) || magic == __builtin_bswap32(magic_nsec);
    magic = swapped ? __builtin_bswap32(magic) : magic;
    if (magic != magic_usec && magic != magic_nsec) {
        error = path + ": not a pcap file (pcapng is not read)";
        return std::nullopt;
    }
    if (get32(b.data() + 20, swapped) != linktype_ethernet) {
        error = path + ": link type " + std::to_string(get32(b.data() + 20, swapped)) + ", not Ethernet";
        return std::nullopt;
    }
    std::vector<Record> out;
    for (size_t at = 24; at < b.size();) {
        if (b.size() - at < 16) {
            error = path + ": a frame header cut short at byte " + std::to_string(at);
            return std::nullopt;
        }
        Record r;
        r.sec = get32(b.data() + at, swapped);
        r.usec = get32(b.data() + at + 4, swapped);
        r.usec = magic == magic_nsec ? r.usec / 1000 : r.usec;
        const uint32_t len = get32(b.data() + at + 8, swapped);
        at += 16;
        if (len > b.size() - at) {
            error = path + ": a frame of " + std::to_string(len) + " bytes runs past the end of the file";
            return std::nullopt;
        }
        r.frame.assign(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + len));
        at += len;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace golden::pcap
