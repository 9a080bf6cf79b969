// track_file: keepalived 2.2.7's value arithmetic (measured against the binary: weight 10 and value 3
// gives +30, -30 faults, 30 stops at 254; weight 0 faults on non-zero; reverse negates) and its parsing
// of the file (strtol base 0), plus the inotify watcher on a real directory.
#include "control/track_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

using control::FileEffect;
using control::track_file_effect;

TEST(TrackFile, WeightZeroFaultsOnNonZero)
{
    EXPECT_EQ(track_file_effect(0, 0, false), (FileEffect{.fault = false, .delta = 0, .status = 0}));
    EXPECT_TRUE(track_file_effect(1, 0, false).fault);
    EXPECT_TRUE(track_file_effect(-7, 0, false).fault);
    // reverse: zero is the failure
    EXPECT_TRUE(track_file_effect(0, 0, true).fault);
    EXPECT_FALSE(track_file_effect(5, 0, true).fault);
}

TEST(TrackFile, WeightMultipliesWithinLimits)
{
    EXPECT_EQ(track_file_effect(3, 10, false).delta, 30);
    EXPECT_EQ(track_file_effect(-2, 10, false).delta, -20);
    EXPECT_EQ(track_file_effect(30, 10, false).delta, 253);  // at most 253
    EXPECT_FALSE(track_file_effect(-25, 10, false).fault);   // -250
    EXPECT_EQ(track_file_effect(-25, 10, false).delta, -250);
    EXPECT_TRUE(track_file_effect(-30, 10, false).fault);    // -300 <= -254
    EXPECT_EQ(track_file_effect(-30, 10, false).delta, 0);
    EXPECT_TRUE(track_file_effect(-254, 1, false).fault);
    EXPECT_FALSE(track_file_effect(-253, 1, false).fault);
    // reverse negates
    EXPECT_EQ(track_file_effect(3, 10, true).delta, -30);
    EXPECT_EQ(track_file_effect(-25, 10, true).delta, 250);
    EXPECT_TRUE(track_file_effect(26, 10, true).fault);
    // a negative weight
    EXPECT_EQ(track_file_effect(2, -20, false).delta, -40);
    // the largest values do not overflow
    EXPECT_TRUE(track_file_effect(2147483647, -254, false).fault);
    EXPECT_EQ(track_file_effect(2147483647, 254, false).delta, 253);
}

TEST(TrackFile, ParsesAsStrtolBaseZero)
{
    using control::parse_track_value;
    EXPECT_EQ(parse_track_value("5\n"), 5);
    EXPECT_EQ(parse_track_value("  -12"), -12);
    EXPECT_EQ(parse_track_value("0x10"), 16);
    EXPECT_EQ(parse_track_value("010"), 8);
    EXPECT_EQ(parse_track_value(" 5xyz"), 5);
    EXPECT_EQ(parse_track_value("abc"), 0);
    EXPECT_EQ(parse_track_value(""), 0);
    EXPECT_EQ(parse_track_value("2147483647"), 2147483647);
    EXPECT_EQ(parse_track_value("99999999999"), std::nullopt);  // keepalived: "Invalid number ... - ignoring"
    EXPECT_EQ(parse_track_value("-2147483649"), std::nullopt);
    EXPECT_EQ(parse_track_value("999999999999999999999999"), std::nullopt);
}

struct TempDir {
    std::string path;
    TempDir()
    {
        char tmpl[] = "/tmp/vipd-trackfile-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

void write(const std::string& p, const std::string& text) { std::ofstream(p) << text; }

TEST(TrackFileWatcher, SeesWritesMovesAndRemovals)
{
    TempDir d;
    control::TrackFileWatcher w;
    ASSERT_TRUE(w.ok());
    std::string error;
    ASSERT_TRUE(w.add("tf", d.path + "/value", error)) << error;  // does not exist yet: its directory is watched
    EXPECT_EQ(control::read_track_file(w.path_of("tf")), 0);
    EXPECT_TRUE(w.read_events().empty());

    write(d.path + "/value", "7\n");
    auto ev = w.read_events();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().name, "tf");
    EXPECT_EQ(ev.back().value, 7);

    write(d.path + "/other", "9\n");  // another file in the same directory: not ours
    EXPECT_TRUE(w.read_events().empty());

    write(d.path + "/tmp", "-3\n");
    ASSERT_EQ(std::rename((d.path + "/tmp").c_str(), (d.path + "/value").c_str()), 0);
    ev = w.read_events();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().value, -3);

    ASSERT_EQ(::unlink((d.path + "/value").c_str()), 0);
    ev = w.read_events();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().value, 0);

    write(d.path + "/value", "99999999999\n");
    ev = w.read_events();
    ASSERT_FALSE(ev.empty());
    EXPECT_EQ(ev.back().value, std::nullopt);
}

TEST(TrackFileWatcher, MissingDirectoryIsRefusedWithKeepalivedsWords)
{
    control::TrackFileWatcher w;
    std::string error;
    EXPECT_FALSE(w.add("tf", "/nonexistent-vipd-dir/value", error));
    EXPECT_EQ(error, "Track file directory for tf does not exist - removing");
}

} // namespace
