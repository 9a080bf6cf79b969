// Frames to and from pcap files (the classic libpcap format, Ethernet link type), so that a golden
// fixture's frames can be opened in Wireshark or tcpdump, and a capture can be read back as bytes.
// Written by hand: the format is a 24-byte file header and a 16-byte header per frame.
#pragma once

#include "tests/golden/builder.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace golden::pcap {

struct Record {
    uint32_t sec = 0;
    uint32_t usec = 0;
    Bytes frame;
};

/// Writes `records` to `path` (created or truncated): microsecond timestamps, link type 1
/// (Ethernet), snap length 65535. An error, or empty.
std::string write(const std::string& path, const std::vector<Record>& records);

/// Reads a file write() made, or any classic pcap of Ethernet frames in either byte order, with
/// micro- or nanosecond timestamps (nanoseconds come back as microseconds). nullopt and `error` set
/// when the file is not one.
std::optional<std::vector<Record>> read(const std::string& path, std::string& error);

}  // namespace golden::pcap
