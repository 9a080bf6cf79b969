// Lexer: comments, quotes, braces, definitions, conditionals, includes, locations.
#include "conf/lexer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

std::vector<std::vector<std::string>> lines_of(const std::string& text, std::string id = "a", conf::Diagnostics* out = nullptr)
{
    conf::Diagnostics local;
    conf::Diagnostics& d = out ? *out : local;
    conf::Lexer lex(d, {.config_id = std::move(id)});
    lex.open_text("t.conf", text);
    std::vector<std::vector<std::string>> res;
    conf::Line l;
    while (lex.next(l)) {
        std::vector<std::string> ws;
        for (const auto& w : l.words) {
            ws.emplace_back(w.text);
        }
        res.push_back(ws);
    }
    return res;
}

using V = std::vector<std::vector<std::string>>;

TEST(Lexer, CommentsAfterValuesAndWholeLines)
{
    EXPECT_EQ(lines_of("! a comment\n# another\nstate BACKUP # trailing\npriority 50 ! bang\n"),
              (V{{"state", "BACKUP"}, {"priority", "50"}}));
}

TEST(Lexer, CommentMarkCutsEvenInsideAWord)
{
    // keepalived 2.2.7: `priority 10!0` reads as 10, `abc#def` as keyword abc.
    EXPECT_EQ(lines_of("auth_pass ab#cd!e\npriority 10!0\n"), (V{{"auth_pass", "ab"}, {"priority", "10"}}));
}

TEST(Lexer, NulByteEndsThePhysicalLine)
{
    // keepalived 2.2.7 reads a line as a C string: after a NUL nothing on that line is seen, neither
    // braces nor quotes nor binary junk (probe 63-nul-byte.conf, exit 0). The next line still counts.
    using namespace std::string_literals;
    conf::Diagnostics d;
    conf::Lexer lex(d, {.config_id = "a"});
    lex.open_text("t.conf", "priority 100\0 junk { \"x\n\0bogus {\xff\nstate BACKUP\0}}\n$D=1\0 \\\nx\n"s);
    std::vector<std::pair<uint32_t, std::vector<std::string>>> got;
    conf::Line l;
    while (lex.next(l)) {
        std::vector<std::string> ws;
        for (const auto& w : l.words) {
            ws.emplace_back(w.text);
        }
        got.emplace_back(l.loc.line, ws);
    }
    using P = std::vector<std::pair<uint32_t, std::vector<std::string>>>;
    EXPECT_EQ(got, (P{{1, {"priority", "100"}}, {3, {"state", "BACKUP"}}, {5, {"x"}}}));
    EXPECT_EQ(lex.definitions().at("D"), "1");  // the `\\` after the NUL does not continue the definition
    EXPECT_TRUE(d.all().empty());
}

TEST(Lexer, QuoteInsideAWordStartsANewWord)
{
    EXPECT_EQ(lines_of("label a\"b c\"\n"), (V{{"label", "a", "b c"}}));
}

TEST(Lexer, UnterminatedQuoteIsReportedAndDropped)
{
    conf::Diagnostics d;
    EXPECT_EQ(lines_of("10.0.0.2 label \"eth0:1\n", "a", &d), (V{{"10.0.0.2", "label"}}));
    EXPECT_EQ(d.exit_code(), 5);
}

TEST(Lexer, QuotedStringsKeepSpacesAndCommentMarks)
{
    EXPECT_EQ(lines_of("script \"/bin/check arg # not a comment\"  # comment\n"),
              (V{{"script", "/bin/check arg # not a comment"}}));
}

TEST(Lexer, BracesGluedToWordsAreSplit)
{
    EXPECT_EQ(lines_of("virtual_routes{}\n"), (V{{"virtual_routes", "{"}, {"}"}}));
    EXPECT_EQ(lines_of("group { VI_1 VI_2 }\n"), (V{{"group", "{"}, {"VI_1", "VI_2"}, {"}"}}));
    EXPECT_EQ(lines_of("}}\n"), (V{{"}"}, {"}"}}));
}

TEST(Lexer, CrLfAndTabs)
{
    EXPECT_EQ(lines_of("a\tb\r\nc\r\n"), (V{{"a", "b"}, {"c"}}));
}

TEST(Lexer, DefinitionsSubstitutePlainAndBraced)
{
    EXPECT_EQ(lines_of("$IF=eth0\n$PRIO=150\ninterface $IF\npriority ${PRIO}0\n"),
              (V{{"interface", "eth0"}, {"priority", "1500"}}));
}

TEST(Lexer, MultiLineDefinition)
{
    EXPECT_EQ(lines_of("$ADDRS=10.0.0.1 \\\n  10.0.0.2\nvirtual_ipaddress { $ADDRS }\n"),
              (V{{"virtual_ipaddress", "{"}, {"10.0.0.1", "10.0.0.2"}, {"}"}}));
}

TEST(Lexer, UndefinedOrGluedNamesAreLeftAsWritten)
{
    EXPECT_EQ(lines_of("$A=1\nx $B $Ax\n"), (V{{"x", "$B", "$Ax"}}));
}

TEST(Lexer, DefinitionNeedsEqualsRightAfterTheName)
{
    EXPECT_EQ(lines_of("$X = 1\n"), (V{{"$X", "=", "1"}}));
}

TEST(Lexer, ConditionalLines)
{
    const std::string text = "@high priority 170\n@low priority 85\n@^high weight 1\nplain\n";
    EXPECT_EQ(lines_of(text, "high"), (V{{"priority", "170"}, {"plain"}}));
    EXPECT_EQ(lines_of(text, "low"), (V{{"priority", "85"}, {"weight", "1"}, {"plain"}}));
    EXPECT_EQ(lines_of(text, "other"), (V{{"weight", "1"}, {"plain"}}));
}

TEST(Lexer, LocationsAreOneBased)
{
    conf::Diagnostics d;
    conf::Lexer lex(d, {});
    lex.open_text("t.conf", "\n\n   key  value\n");
    conf::Line l;
    ASSERT_TRUE(lex.next(l));
    EXPECT_EQ(l.loc.line, 3u);
    EXPECT_EQ(l.words[0].col, 4u);
    EXPECT_EQ(l.words[1].col, 9u);
}

class LexerFiles : public ::testing::Test {
protected:
    void SetUp() override
    {
        dir = std::filesystem::temp_directory_path() / ("vipd-lexer-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir / "conf.d");
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    void write(const std::string& rel, const std::string& text) { std::ofstream(dir / rel) << text; }
    // Opens dir/rel as the main file, with the lexer and diagnostics every test reads.
    bool open(const std::string& rel) { return lex.open((dir / rel).string()); }
    std::filesystem::path dir;
    conf::Diagnostics d;
    conf::Lexer lex{d, {}};
};

TEST_F(LexerFiles, IncludeGlobRelativeToIncludingFileKeepsLineNumbers)
{
    write("main.conf", "first\ninclude conf.d/*.conf\nlast\n");
    write("conf.d/b.conf", "\nb1\n");
    write("conf.d/a.conf", "a1\n");
    ASSERT_TRUE(open("main.conf"));
    std::vector<std::string> seen;
    conf::Line l;
    while (lex.next(l)) {
        seen.push_back(std::string(l.words[0].text) + "@" + std::filesystem::path(d.files()[l.loc.file]).filename().string() + ":" +
                       std::to_string(l.loc.line));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"first@main.conf:1", "a1@a.conf:1", "b1@b.conf:2", "last@main.conf:3"}));
    EXPECT_TRUE(d.all().empty());
}

TEST_F(LexerFiles, IncludeMatchingNothingIsReported)
{
    write("main.conf", "include missing/*.conf\n");
    ASSERT_TRUE(open("main.conf"));
    conf::Line l;
    EXPECT_FALSE(lex.next(l));
    ASSERT_EQ(d.all().size(), 1u);
    EXPECT_EQ(d.all()[0].loc.line, 1u);
}

TEST_F(LexerFiles, IncludeOfADeviceIsRefused)
{
    write("main.conf", "include /dev/zero\nafter\n");
    ASSERT_TRUE(open("main.conf"));
    conf::Line l;
    ASSERT_TRUE(lex.next(l));
    EXPECT_EQ(l.words[0].text, "after");
    EXPECT_FALSE(d.all().empty());
}

TEST_F(LexerFiles, MissingMainFileIsFatal)
{
    EXPECT_FALSE(open("nope.conf"));
    EXPECT_EQ(d.exit_code(), conf::exit_cannot_run);
}

} // namespace
