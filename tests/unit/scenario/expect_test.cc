// scenario/expect.h: each operator holds where it must and fails where it must, saying what it
// saw.
#include "scenario/expect.h"

#include <gtest/gtest.h>

namespace cbit::scenario {
namespace {

Condition cond(const std::string& path, const std::string& op, const nlohmann::json& v) {
  Condition c;
  c.path = path;
  EXPECT_EQ(make_condition(op, v, c), "") << op;
  return c;
}

bool holds(const Condition& c, const nlohmann::json& own) {
  return evaluate({c}, nlohmann::json::object(), own).ok;
}

TEST(ScenarioExpect, EachOperatorPassesAndFails) {
  const nlohmann::json r = {{"found", 2},
                            {"verdict", "blocked"},
                            {"dmesg", {"SME active", "AMD Memory Encryption Features active: SME"}},
                            {"report", {{"checks", {{"nonce", "ok"}}}}}};
  struct Row {
    const char *path, *op;
    nlohmann::json pass, fail;
  };
  const Row rows[] = {
      {"found", "equals", 2, 3},
      {"found", "not", 3, 2},
      {"found", "at_least", 2, 3},
      {"found", "at_most", 2, 1},
      {"verdict", "contains", "lock", "open"},
      {"dmesg", "contains", "SME active", "SEV active"},
      {"dmesg.1", "matches", "Features active: S[ME]+$", "^SEV"},
      {"dmesg", "matches", "^AMD .*SME$", "^SEV"},
      {"verdict", "one_of", {"blocked", "refused"}, {"leaked"}},
      {"report.checks.nonce", "equals", "ok", "bad"},
  };
  for (const auto& row : rows) {
    EXPECT_TRUE(holds(cond(row.path, row.op, row.pass), r)) << row.path << " " << row.op;
    EXPECT_FALSE(holds(cond(row.path, row.op, row.fail), r)) << row.path << " " << row.op;
  }
}

TEST(ScenarioExpect, FailureSaysWhatWasSeen) {
  const nlohmann::json r = {{"found", 2}};
  const auto o = evaluate({cond("found", "equals", 0), cond("missing", "equals", 1)},
                          nlohmann::json::object(), r);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.saw, "found = 2, missing = (nothing)");
  // Numbers compare as numbers whatever their JSON kind; a string "2" is not 2.
  EXPECT_TRUE(holds(cond("found", "equals", 2u), r));
  EXPECT_FALSE(holds(cond("found", "equals", "2"), r));
  EXPECT_FALSE(holds(cond("found", "at_least", 1), {{"found", "9"}}));
}

TEST(ScenarioExpect, StepPathsReadOtherStepsResults) {
  Condition c = cond("found", "equals", 0);
  c.step = "sme.cb";
  const nlohmann::json results = {{"sme.cb", {{"found", 0}}}, {"off.cb", {{"found", 1}}}};
  EXPECT_TRUE(evaluate({c}, results, {}).ok);
  c.step = "off.cb";
  const auto o = evaluate({c}, results, {});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.saw, "off.cb.found = 1");
}

TEST(ScenarioExpect, BadOperandsAreRefused) {
  Condition c;
  EXPECT_NE(make_condition("at_least", "x", c), "");
  EXPECT_NE(make_condition("matches", "(", c), "");
  EXPECT_NE(make_condition("matches", std::string(kMaxRegexBytes + 1, 'a'), c), "");
  EXPECT_NE(make_condition("matches", "a{99999999}", c), "");  // would build 10^8 states
  EXPECT_NE(make_condition("matches", "(a{200}){100}", c), "");
  EXPECT_EQ(make_condition("matches", "a{2,8}\\{999\\}", c), "");  // escaped braces are text
  EXPECT_NE(make_condition("one_of", nlohmann::json::array(), c), "");
  EXPECT_NE(make_condition("bogus", 1, c), "");
  EXPECT_EQ(make_condition("one_of", {1, 2}, c), "");
}

TEST(ScenarioExpect, MatchesRefusesOverlongSubjects) {
  const Condition c = cond("s", "matches", "a");
  EXPECT_TRUE(holds(c, {{"s", std::string(kMaxMatchSubject, 'a')}}));
  EXPECT_FALSE(holds(c, {{"s", std::string(kMaxMatchSubject + 1, 'a')}}));
}

TEST(ScenarioExpect, LookupWalksObjectsAndArrays) {
  const nlohmann::json j = {{"a", {{"b", {10, 20}}}}};
  ASSERT_NE(lookup(j, "a.b.1"), nullptr);
  EXPECT_EQ(*lookup(j, "a.b.1"), 20);
  EXPECT_EQ(lookup(j, "a.b.2"), nullptr);
  EXPECT_EQ(lookup(j, "a.c"), nullptr);
  EXPECT_EQ(lookup(j, "a.b.x"), nullptr);
}

TEST(ScenarioExpect, DescribeMakesTheDefaultCheckText) {
  EXPECT_EQ(describe({cond("found", "equals", 0), cond("dma", "at_least", 1)}),
            "found = 0, dma at least 1");
}

}  // namespace
}  // namespace cbit::scenario
