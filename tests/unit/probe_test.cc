// The probes against keepalived 2.2.7's own verdicts: every file in tests/conf/probes/ is judged by
// vipd's `-t` judgement (conf::load_file + exit_code, as control/main.cc does) on a fake host, and the
// exit code must equal the one keepalived really gave (tests/conf/probes/EXPECTED.txt), or the one
// DIVERGENCES.txt fixes where keepalived kills itself instead of judging. No root, no keepalived: this
// is the oracle that runs everywhere; corpus_compare.sh repeats it beside the real binary.
#include "test_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const fs::path probes_dir = VIPD_PROBES_DIR;

// The files corpus_compare.sh also skips: the lists themselves, prose and dotfiles (.gitattributes).
bool is_probe(const fs::directory_entry& e)
{
    const std::string n = e.path().filename().string();
    return e.is_regular_file() && !n.starts_with(".") && n != "EXPECTED.txt" && n != "DIVERGENCES.txt" && !n.starts_with("README") && !n.ends_with(".md");
}

std::vector<std::string> probe_files()
{
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(probes_dir)) {
        if (is_probe(e)) {
            out.push_back(e.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Lines "FILE WORD..." with '#' comments and blank lines skipped.
std::vector<std::vector<std::string>> read_table(const fs::path& p)
{
    std::ifstream in(p);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ws(line);
        std::vector<std::string> row;
        for (std::string w; ws >> w;) {
            row.push_back(w);
        }
        if (!row.empty() && !row[0].starts_with("#")) {
            rows.push_back(std::move(row));
        }
    }
    return rows;
}

std::map<std::string, int> expected()
{
    std::map<std::string, int> out;
    for (const auto& r : read_table(probes_dir / "EXPECTED.txt")) {
        out[r[0]] = r.size() == 2 ? std::stoi(r[1]) : -1;
    }
    return out;
}

// The host keepalived was observed on (conf/JUDGEMENTS.md, top): veth eth0..eth3 and ens33, Debian's
// /bin/true and psmisc's killall, the users root and nobody, no keepalived_script user. Every probe's
// host lookup (interfaces, PATH search, script paths and their ownership, users) goes through this.
FakeEnv probe_host()
{
    FakeEnv env;
    env.interfaces = {"eth0", "eth1", "eth2", "eth3", "ens33"};
    env.programs = {"/bin/true", "/usr/bin/killall"};
    env.users = {"root", "nobody"};
    return env;
}

TEST(Probes, ExpectedListsEveryProbeOnceAndNothingElse)
{
    const auto files = probe_files();
    ASSERT_FALSE(files.empty()) << probes_dir;
    std::map<std::string, int> seen;
    for (const auto& r : read_table(probes_dir / "EXPECTED.txt")) {
        EXPECT_EQ(r.size(), 2U) << "EXPECTED.txt line for " << r[0] << ": want FILE EXIT";
        EXPECT_TRUE(fs::is_regular_file(probes_dir / r[0])) << "EXPECTED.txt names " << r[0] << ", which is not a probe";
        EXPECT_EQ(++seen[r[0]], 1) << r[0] << " is listed twice in EXPECTED.txt";
    }
    for (const auto& f : files) {
        EXPECT_TRUE(seen.contains(f)) << f << " has no line in EXPECTED.txt (run keepalived -t -n -l -f on it)";
    }
}

TEST(Probes, DivergencesNameProbesWithTheirObservedExit)
{
    const auto want = expected();
    for (const auto& r : read_table(probes_dir / "DIVERGENCES.txt")) {
        ASSERT_GE(r.size(), 4U) << "DIVERGENCES.txt: want FILE KEEPALIVED_EXIT VIPD_EXIT REASON";
        ASSERT_TRUE(want.contains(r[0])) << r[0];
        EXPECT_EQ(want.at(r[0]), std::stoi(r[1])) << r[0] << ": DIVERGENCES.txt and EXPECTED.txt disagree on keepalived's exit";
    }
}

class Probe : public testing::TestWithParam<std::string> {};

TEST_P(Probe, ExitCodeIsKeepalivedsVerdict)
{
    const std::string& name = GetParam();
    const auto want_all = expected();
    ASSERT_TRUE(want_all.contains(name)) << name << " is not in EXPECTED.txt";
    int want = want_all.at(name);
    for (const auto& r : read_table(probes_dir / "DIVERGENCES.txt")) {
        if (r.size() >= 4 && r[0] == name && std::stoi(r[1]) == want) {
            want = std::stoi(r[2]);  // keepalived does not judge this file; vipd's verdict is the listed one
        }
    }
    // A fixed config id: probe 20 relies on its ids not being the host's name.
    const auto env = probe_host();
    auto loaded = conf::load_file((probes_dir / name).string(), {.config_id = "vipd-probe-host"}, env);
    std::string said;
    for (const auto& d : loaded.diags.all()) {
        said += loaded.diags.format(d) + "\n";
    }
    EXPECT_EQ(loaded.exit_code(), want) << said;
}

std::string test_name(const testing::TestParamInfo<std::string>& info)
{
    std::string out = "p";
    for (char c : info.param.substr(0, info.param.rfind('.'))) {
        out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Keepalived227, Probe, testing::ValuesIn(probe_files()), test_name);

} // namespace
