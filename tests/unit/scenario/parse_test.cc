// scenario/parse.h: every error class is reported before anything runs, as one line
// "FILE:LINE:COL: key 'KEY': ...", each next to a control that the parser accepts.
#include "scenario/parse.h"

#include <gtest/gtest.h>

#include <string>

#include "unit/input_error.h"

namespace cbit::scenario {
namespace {

const std::string kHead = "[scenario]\nid = \"t\"\ntitle = \"T\"\n";  // lines 1-3

std::string err(const std::string& body) {
  return testutil::error_of([&] { parse_scenario(kHead + body, "t.toml"); });
}

void expect_error(const std::string& body, const std::string& where_key,
                  const std::string& words = "") {
  const std::string e = err(body);
  EXPECT_NE(e.find(where_key), std::string::npos) << "want '" << where_key << "' in: " << e;
  if (!words.empty()) {
    EXPECT_NE(e.find(words), std::string::npos) << "want '" << words << "' in: " << e;
  }
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

const std::string kColdBoot = "[[step]]\ndo = \"cold-boot\"\nfind = [\"x\"]\n";  // lines 4-6

TEST(ScenarioParse, AcceptsAMinimalFile) {
  EXPECT_EQ(err(kColdBoot), "");
  const Scenario sc = parse_scenario(kHead + kColdBoot, "t.toml");
  EXPECT_EQ(sc.id, "t");
  ASSERT_EQ(sc.steps.size(), 1u);
  EXPECT_EQ(sc.steps[0].action->name, "cold-boot");
  EXPECT_EQ(sc.steps[0].args["find"], nlohmann::json::array({"x"}));
}

TEST(ScenarioParse, TomlSyntax) {
  expect_error("[[step]]\ndo = \"cold-boot\nfind = 1\n", "t.toml:5:", "TOML syntax");
}

TEST(ScenarioParse, UnknownTableWithSuggestion) {
  expect_error("[[stepz]]\ndo = \"x\"\n", "t.toml:4:3: key 'stepz'", "did you mean 'step'");
}

TEST(ScenarioParse, UnknownKeyWithSuggestion) {
  expect_error("[[step]]\ndo = \"cold-boot\"\nfnd = [\"x\"]\n", "t.toml:6:1: key 'fnd'",
               "did you mean 'find'");
  expect_error("[scenario2]\n", "t.toml:4:2: key 'scenario2'", "did you mean 'scenario'");
}

TEST(ScenarioParse, UnknownActionWithSuggestion) {
  expect_error("[[step]]\ndo = \"cold-bot\"\n", "t.toml:5:6: key 'do'", "did you mean 'cold-boot'");
}

TEST(ScenarioParse, MissingRequiredKey) {
  expect_error("[[step]]\ndo = \"cold-boot\"\n", "t.toml:4:1: key 'find'", "needs 'find'");
  EXPECT_NE(testutil::error_of([] {
              parse_scenario("[scenario]\nid = \"t\"\n", "t.toml");
            }).find("t.toml:1:1: key 'title'"),
            std::string::npos);
  EXPECT_NE(
      testutil::error_of([] { parse_scenario("", "t.toml"); }).find("t.toml:1:1: key 'scenario'"),
      std::string::npos);
}

TEST(ScenarioParse, WrongType) {
  expect_error("[[step]]\ndo = \"machine\"\ntsme = \"yes\"\n", "t.toml:6:8: key 'tsme'",
               "true or false");
  expect_error("[[step]]\ndo = \"cold-boot\"\nfind = [1, 2]\n", "t.toml:6:8: key 'find'",
               "list of strings");
  expect_error("[[step]]\ndo = \"machine\"\ncores = -1\n", "t.toml:6:9: key 'cores'",
               "whole number");
}

TEST(ScenarioParse, ValueOutsideChoices) {
  expect_error("[[step]]\ndo = \"host-write\"\ndata = \"s\"\nto = \"pmen\"\n",
               "t.toml:7:6: key 'to'", "did you mean 'pmem'");
  expect_error("[[step]]\ndo = \"machine\"\ncpu = \"milam\"\n", "t.toml:6:7: key 'cpu'",
               "did you mean 'milan'");
}

TEST(ScenarioParse, BadSize) {
  expect_error("[[step]]\ndo = \"machine\"\ndram = \"64Q\"\n", "t.toml:6:8: key 'dram'",
               "not a size");
  // The action's own check: a size of the right type outside what a machine can have.
  expect_error("[[step]]\ndo = \"machine\"\ndram = \"3M\"\n", "t.toml:6:8: key 'dram'",
               "multiple of 2 MiB");
  EXPECT_EQ(err("[[step]]\ndo = \"machine\"\ndram = \"64M\"\n"), "");
}

TEST(ScenarioParse, ActionCheckOfSetAssignment) {
  expect_error("[[step]]\ndo = \"machine\"\nset = [\"cbit=99\"]\n", "t.toml:6:7: key 'set'",
               "cbit");
  EXPECT_EQ(err("[[step]]\ndo = \"machine\"\nset = [\"cbit=51\"]\n"), "");
}

TEST(ScenarioParse, UndefinedVar) {
  expect_error("[vars]\nsecret = \"s\"\n[[step]]\ndo = \"cold-boot\"\nfind = [\"${secrte}\"]\n",
               "t.toml:8:8: key 'find'", "did you mean 'secret'");
  expect_error("[[step]]\ndo = \"cold-boot\"\nfind = [\"${x\"]\n", "t.toml:6:8: key 'find'",
               "closing");
}

TEST(ScenarioParse, DuplicateIds) {
  expect_error(kColdBoot + "id = \"a\"\n" + kColdBoot + "id = \"a\"\n", "t.toml:11:6: key 'id'",
               "used twice");
  expect_error("[[case]]\nid = \"a\"\n[[case]]\nid = \"a\"\n", "t.toml:7:6: key 'id'", "twice");
}

TEST(ScenarioParse, ExpectPathNamingNoStep) {
  const std::string ok = kColdBoot + "id = \"cb\"\n[[expect]]\nthat = { \"cb.found\" = 0 }\n";
  EXPECT_EQ(err(ok), "");
  expect_error(kColdBoot + "id = \"cb\"\n[[expect]]\nthat = { \"bc.found\" = 0 }\n",
               "t.toml:9:23: key 'bc.found'", "step 'bc' does not exist");
}

// With cases, the path's wrong part is named: the step inside the case, with the nearest id.
TEST(ScenarioParse, ExpectPathNamesTheWrongPart) {
  const std::string body = "[[case]]\nid = \"plain\"\n[[case]]\nid = \"es\"\n" + kColdBoot +
                           "id = \"log\"\n[[expect]]\nthat = { \"plain.log.found\" = 0 }\n";
  EXPECT_EQ(err(body), "");  // the control
  std::string bad = body;
  bad.replace(bad.find("plain.log.found"), 15, "plain.logs.count");
  expect_error(bad, "key 'plain.logs.count'",
               "step 'plain.logs' does not exist; did you mean 'plain.log'?");
  bad = body;
  bad.replace(bad.find("plain.log.found"), 15, "plian.log.found");
  expect_error(bad, "key 'plian.log.found'", "did you mean the case 'plain'?");
}

// A bare string where a list of strings is declared is refused, as the doc says.
TEST(ScenarioParse, BareStringForAListOfStrings) {
  EXPECT_EQ(err(kColdBoot), "");  // find = ["x"]
  expect_error("[[step]]\ndo = \"cold-boot\"\nfind = \"x\"\n", "t.toml:6:8: key 'find'",
               "must be a list of strings: [\"x\"], not \"x\"");
}

// A step's result inside `expect`: the message says the rule and where to check it instead.
TEST(ScenarioParse, ResultInsideExpectSaysTheRule) {
  const std::string first = kColdBoot + "id = \"a\"\n" + kColdBoot;
  EXPECT_EQ(err(first + "expect = { found = 0 }\n"), "");
  expect_error(first + "expect = { found = \"${a.found}\" }\n", "t.toml:11:20: key 'found'",
               "can't be used inside an `expect` table");
  expect_error(first + "expect = { found = \"${a.found}\" }\n", "t.toml:11:20",
               "top-level [[expect]]");
}

TEST(ScenarioParse, UnknownOperatorAndBadOperand) {
  expect_error(kColdBoot + "expect = { found = { at_lest = 1 } }\n", "t.toml:7:22: key 'found'",
               "did you mean 'at_least'");
  expect_error(kColdBoot + "expect = { found = { at_least = 1, at_mots = 2 } }\n",
               "t.toml:7:36: key 'found'", "did you mean 'at_most'");
  // Control: a nested table of result fields is a path.
  EXPECT_EQ(err(kColdBoot + "expect = { hits = { x = 0 } }\n"), "");
  expect_error(kColdBoot + "expect = { found = { at_least = \"x\" } }\n",
               "t.toml:7:33: key 'found'", "takes a number");
  expect_error(kColdBoot + "expect = { found = { matches = \"(\" } }\n", "key 'found'",
               "regular expression");
}

TEST(ScenarioParse, CheckWithoutExpect) {
  expect_error(kColdBoot + "check = \"c\"\n", "t.toml:7:9: key 'check'", "expect");
}

TEST(ScenarioParse, IdMustBeTheFileName) {
  const std::string e =
      testutil::error_of([] { parse_scenario(kHead + kColdBoot, "dir/other.toml"); });
  EXPECT_NE(e.find("dir/other.toml:2:6: key 'id'"), std::string::npos) << e;
  EXPECT_EQ(testutil::error_of([] { parse_scenario(kHead + kColdBoot, "dir/t.toml"); }), "");
}

TEST(ScenarioParse, LimitsAgainstHostileFiles) {
  // Size, checked before TOML sees it.
  const std::string big(kMaxScenarioBytes + 1, '#');
  EXPECT_NE(testutil::error_of([&] { parse_scenario(big, "t.toml"); }).find("larger than"),
            std::string::npos);
  // Steps after case expansion.
  std::string many = "[[case]]\nid = \"a\"\n[[case]]\nid = \"b\"\n";
  for (size_t i = 0; i < kMaxSteps / 2 + 1; ++i) many += "[[step]]\ndo = \"say\"\ntext = \"x\"\n";
  expect_error(many, "key 'step'", "more than 10000");
  // Nesting inside a value.
  std::string deep = "[[step]]\ndo = \"say\"\ntext = ";
  for (int i = 0; i < 20; ++i) deep += "[";
  for (int i = 0; i < 20; ++i) deep += "]";
  expect_error(deep + "\n", "t.toml:6:", "nested deeper");
  // A string too long once substituted, and too much text after expansion.
  const std::string s60k(60000, 'a');
  expect_error("[vars]\nx = \"" + s60k + "\"\n[[step]]\ndo = \"say\"\ntext = \"${x}${x}\"\n",
               "t.toml:8:8: key 'text'", "longer than");
  // NUL bytes.
  EXPECT_NE(
      testutil::error_of([] { parse_scenario(std::string("a\0b", 3), "t.toml"); }).find("NUL"),
      std::string::npos);
}

TEST(ScenarioParse, ExpansionBudget) {
  std::string body = "[vars]\nx = \"" + std::string(60000, 'a') + "\"\n";
  for (int c = 0; c < 600; ++c) body += "[[case]]\nid = \"c" + std::to_string(c) + "\"\n";
  for (int s = 0; s < 2; ++s) body += "[[step]]\ndo = \"say\"\ntext = \"${x}\"\n";
  const std::string e = err(body);
  EXPECT_NE(e.find("expands to more than 64 MiB"), std::string::npos) << e.substr(0, 300);
}

TEST(ScenarioParse, DidYouMeanOnlyForCloseWords) {
  EXPECT_EQ(closest("cold-bot", {"cold-boot", "machine"}), "cold-boot");
  EXPECT_EQ(closest("zzzzzz", {"cold-boot", "machine"}), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace cbit::scenario

namespace cbit::scenario {
namespace {

// toml++ frees a dotted key's tables recursively: a key of 400 000 parts would exhaust the stack
// before any check of ours ran; such a line is refused first. Dots in strings, comments and
// multi-line strings do not count.
TEST(ScenarioParse, DeepDottedKeysAreRefusedBeforeToml) {
  std::string parts = "a";
  for (int i = 0; i < 400000; ++i) parts += ".a";
  for (const std::string& text :
       {"[" + parts + "]\n", "x = { " + parts + " = 1 }\n", "\n" + parts + " = 1\n"}) {
    const std::string e = testutil::error_of([&] { parse_scenario(text, "t.toml"); });
    EXPECT_NE(e.find("t.toml:"), std::string::npos) << e.substr(0, 100);
    EXPECT_NE(e.find("dotted parts"), std::string::npos) << e.substr(0, 100);
  }
  EXPECT_NE(testutil::error_of([&] {
              parse_scenario("\n\n" + parts + " = 1\n", "t.toml");
            }).find("t.toml:3:1:"),
            std::string::npos);
  // Control: many dots inside strings, comments and multi-line strings are text.
  const std::string dots(500, '.');
  const std::string ok = "[scenario]\nid = \"t\"\ntitle = \"" + dots + "\" # " + dots +
                         "\nabout = '''\n" + dots + "\n" + dots +
                         "'''\n[[step]]\ndo = \"say\"\n"
                         "text = '" +
                         dots + "'\n";
  EXPECT_EQ(testutil::error_of([&] { parse_scenario(ok, "t.toml"); }), "");
}

}  // namespace
}  // namespace cbit::scenario
