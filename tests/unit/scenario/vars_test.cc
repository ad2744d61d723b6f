// scenario/parse.h: ${var} substitution and [[case]] expansion.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "scenario/parse.h"
#include "unit/input_error.h"

namespace cbit::scenario {
namespace {

const std::string kHead = "[scenario]\nid = \"t\"\ntitle = \"T\"\n";
// The scenario t.toml with `body` after its [scenario] table, and the error it gives.
Scenario parsed(const std::string& body) { return parse_scenario(kHead + body, "t.toml"); }
std::string error_in(const std::string& body) {
  return testutil::error_of([&] { parsed(body); });
}

TEST(ScenarioVars, WholeValueKeepsTheTomlTypeAndInterpolationWritesItOut) {
  const Scenario sc = parse_scenario(kHead + R"(
[vars]
on = true
n = 3
secret = "s3cret"
list = ["a", "b"]
[[step]]
do = "machine"
tsme = "${on}"
cores = "${n}"
[[step]]
do = "say"
text = "tsme=${on} cores=${n} ${secret} costs $$5"
[[step]]
do = "cold-boot"
find = "${list}"
)",
                                     "t.toml");
  ASSERT_EQ(sc.steps.size(), 3u);
  EXPECT_EQ(sc.steps[0].args["tsme"], true);
  EXPECT_EQ(sc.steps[0].args["cores"], 3);
  EXPECT_EQ(sc.steps[1].args["text"], "tsme=true cores=3 s3cret costs $5");
  EXPECT_EQ(sc.steps[2].args["find"], nlohmann::json::array({"a", "b"}));
  // Control: a list inside a longer string is refused, as is a bool where a string must be.
  EXPECT_NE(testutil::error_of([&] {
              parse_scenario(
                  kHead + "[vars]\nl = [\"a\"]\n[[step]]\ndo = \"say\"\ntext = \"x${l}\"\n",
                  "t.toml");
            }).find("whole value"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              parse_scenario(kHead + "[vars]\nb = true\n[[step]]\ndo = \"say\"\ntext = \"${b}\"\n",
                             "t.toml");
            }).find("key 'text': must be a string"),
            std::string::npos);
}

TEST(ScenarioVars, CasesRepeatTheStepsWithTheirVarsAndIds) {
  const Scenario sc = parse_scenario(kHead + R"(
[vars]
mode = "global"
x = 1
[[case]]
id = "off"
vars = { mode = "plain" }
[[case]]
id = "sme"
[[step]]
do = "say"
id = "s"
text = "${case}: ${mode} ${x}"
expect = { found = "${x}" }
check = "${case} check"
[[expect]]
that = { "off.s.found" = 1, "sme.s.found" = 1 }
)",
                                     "t.toml");
  ASSERT_EQ(sc.steps.size(), 2u);
  EXPECT_EQ(sc.cases, (std::vector<std::string>{"off", "sme"}));
  EXPECT_EQ(sc.steps[0].full_id, "off.s");
  EXPECT_EQ(sc.steps[1].full_id, "sme.s");
  EXPECT_EQ(sc.steps[0].args["text"], "off: plain 1");
  EXPECT_EQ(sc.steps[1].args["text"], "sme: global 1");
  EXPECT_EQ(sc.steps[1].check, "sme check");
  ASSERT_EQ(sc.steps[1].expect.size(), 1u);
  EXPECT_EQ(sc.steps[1].expect[0].value, 1);
  ASSERT_EQ(sc.expects.size(), 1u);
  EXPECT_EQ(sc.expects[0].that[0].step, "off.s");
  EXPECT_EQ(sc.expects[0].that[0].path, "found");
  EXPECT_EQ(sc.expects[0].check, "off.s.found = 1, sme.s.found = 1");  // generated
}

TEST(ScenarioVars, AVarOfOneCaseOnlyIsUndefinedInTheOther) {
  const std::string e = testutil::error_of([&] {
    parse_scenario(kHead + R"(
[[case]]
id = "a"
vars = { only = "x" }
[[case]]
id = "b"
[[step]]
do = "say"
text = "${only}"
)",
                   "t.toml");
  });
  EXPECT_NE(e.find("t.toml:12:8: key 'text': ${only} is not defined"), std::string::npos) << e;
}

// Vars inside vars: a var's value may use other vars, in any order in the file; a whole
// "${name}" keeps the type along a chain; "$$" stays a literal "$".
TEST(ScenarioVars, VarsUseOtherVarsInAnyOrder) {
  const Scenario sc = parsed(R"(
[vars]
aa = "${zz}-y"
zz = "x"
n = "${m}"
m = 3
list = ["${zz}", "${aa}", "$$z"]
price = "cost $$5 for ${aa}"
[[step]]
do = "say"
text = "${aa} ${price}"
[[step]]
do = "machine"
cores = "${n}"
[[step]]
do = "cold-boot"
find = "${list}"
)");
  ASSERT_EQ(sc.steps.size(), 3u);
  EXPECT_EQ(sc.steps[0].args["text"], "x-y cost $5 for x-y");
  EXPECT_EQ(sc.steps[1].args["cores"], 3);
  EXPECT_EQ(sc.steps[2].args["find"], nlohmann::json::array({"x", "x-y", "$z"}));
}

TEST(ScenarioVars, ACaseVarChangesWhatTheGlobalVarsUsingItBecome) {
  const Scenario sc = parsed(R"(
[vars]
label = "${case}: ${mode} run"
mode = "global"
[[case]]
id = "off"
vars = { mode = "plain", loud = "${label}!" }
[[case]]
id = "on"
vars = { loud = "${label}?" }
[[step]]
do = "say"
text = "${loud}"
)");
  ASSERT_EQ(sc.steps.size(), 2u);
  EXPECT_EQ(sc.steps[0].args["text"], "off: plain run!");
  EXPECT_EQ(sc.steps[1].args["text"], "on: global run?");
}

TEST(ScenarioVars, ACycleOfVarsIsAnErrorAtTheVarThatClosesIt) {
  // Two vars (neither used by a step: the file is wrong all the same).
  std::string e =
      error_in("[vars]\na = \"${b}\"\nb = \"x${a}\"\n[[step]]\ndo = \"say\"\ntext = \"t\"\n");
  EXPECT_NE(e.find("t.toml:6:5: key 'b': ${a} makes a cycle of vars: a -> b -> a"),
            std::string::npos)
      << e;
  // A var using itself, inside a list.
  e = error_in("[vars]\nself = [\"${self}\"]\n");
  EXPECT_NE(e.find("t.toml:5:8: key 'self': ${self} makes a cycle of vars: self -> self"),
            std::string::npos)
      << e;
  // Three vars, through a case's own var (the globals alone have none): found from the case's
  // var, closed by the global that uses it.
  e = error_in(
      "[vars]\nx = \"${y}\"\ny = \"${z}\"\n[[case]]\nid = \"c\"\nvars = { z = \"${x}\" }\n");
  EXPECT_NE(e.find("t.toml:6:5: key 'y': ${z} makes a cycle of vars: z -> x -> y -> z"),
            std::string::npos)
      << e;
  // Control: the same chain ending in a value is no cycle.
  EXPECT_NO_THROW(
      parsed("[vars]\nx = \"${y}\"\ny = \"${z}\"\n[[case]]\nid = \"c\"\nvars = { z = \"v\" }\n"));
}

TEST(ScenarioVars, AVarUsingAnUndefinedVarOrAResultIsNamedWhereItIsDefined) {
  std::string e = error_in("[vars]\nb = \"${nope}\"\n[[step]]\ndo = \"say\"\ntext = \"${b}\"\n");
  EXPECT_NE(e.find("t.toml:5:5: key 'b': ${nope} is not defined in [vars]"), std::string::npos)
      << e;
  e = error_in(
      "[vars]\nb = \"${s.n}\"\n[[step]]\ndo = \"say\"\nid = \"s\"\ntext = \"x\"\n"
      "[[step]]\ndo = \"say\"\ntext = \"${b}\"\n");
  EXPECT_NE(e.find("t.toml:5:5: key 'b': ${s.n}: a var's value can't use a step's result"),
            std::string::npos)
      << e;
  // Doubling vars: each string is bounded, so the expansion stops with an error, not the host's
  // memory.
  std::string vars = "[vars]\nv0 = \"" + std::string(1000, 'x') + "\"\n";
  for (int i = 1; i <= 20; ++i)
    vars += fmt::format("v{} = \"${{v{}}}${{v{}}}\"\n", i, i - 1, i - 1);
  e = error_in(vars + "[[step]]\ndo = \"say\"\ntext = \"${v20}\"\n");
  EXPECT_NE(e.find("the substituted string is longer than 65536 bytes"), std::string::npos) << e;
}

// The longest chain a file can make (1000 vars in [vars], 1000 more in a case) resolves, and a
// cycle through all of them is found: both walk an explicit stack, not 2000 nested calls.
TEST(ScenarioVars, TwoThousandVarsInAChainResolveAndTheirCycleIsFound) {
  std::string globals = "[vars]\nv0 = \"end\"\n", own;
  for (int i = 1; i < 1000; ++i) globals += fmt::format("v{} = \"${{v{}}}\"\n", i, i - 1);
  own = "w0 = \"${v999}\"";
  for (int i = 1; i < 1000; ++i) own += fmt::format(", w{} = \"<${{w{}}}\"", i, i - 1);
  const Scenario sc = parsed(globals + "[[case]]\nid = \"c\"\nvars = { " + own +
                             " }\n[[step]]\ndo = \"say\"\ntext = \"${w999}\"\n");
  ASSERT_EQ(sc.steps.size(), 1u);
  EXPECT_EQ(sc.steps[0].args["text"], std::string(999, '<') + "end");
  // The same chain closed: v0 uses the case's last var.
  globals.replace(globals.find("v0 = \"end\""), 10, "v0 = \"${w999}\"");
  const std::string e = error_in(globals + "[[case]]\nid = \"c\"\nvars = { " + own + " }\n");
  EXPECT_NE(e.find("makes a cycle of vars: "), std::string::npos) << e.substr(0, 300);
}

TEST(ScenarioVars, OperatorTableFromAVar) {
  const Scenario sc = parse_scenario(kHead + R"(
[vars]
want = { at_least = 1, at_most = 3 }
[[step]]
do = "say"
text = "x"
expect = { found = "${want}" }
)",
                                     "t.toml");
  ASSERT_EQ(sc.steps[0].expect.size(), 2u);
  EXPECT_EQ(sc.steps[0].expect[0].op, Op::AtLeast);
  EXPECT_EQ(sc.steps[0].expect[1].op, Op::AtMost);
}

}  // namespace
}  // namespace cbit::scenario

namespace cbit::scenario {
namespace {

TEST(ScenarioVars, ResultReferencesNameEarlierStepsOnly) {
  const std::string head = "[scenario]\nid = \"t\"\ntitle = \"T\"\n";
  const Scenario sc = parse_scenario(head + R"(
[[case]]
id = "a"
[[step]]
do = "say"
id = "s1"
text = "x"
[[step]]
do = "say"
text = "cost $$${s1.n} of ${a.s1.n}"
[[step]]
do = "machine"
cores = "${s1.n}"
)",
                                     "t.toml");
  ASSERT_EQ(sc.steps.size(), 3u);
  EXPECT_EQ(sc.steps[1].args["text"], "cost $$${a.s1.n} of ${a.s1.n}");  // the engine's template
  EXPECT_EQ(sc.steps[1].deferred, std::vector<std::string>{"text"});
  EXPECT_EQ(sc.steps[2].args["cores"], "${a.s1.n}");  // typed when filled in
  EXPECT_TRUE(sc.steps[0].deferred.empty());
  // A later step, an unknown one, and a reference outside a step's keys are refused.
  for (const char* bad : {"[[step]]\ndo = \"say\"\ntext = \"${s2.n}\"\n[[step]]\ndo = \"say\"\nid "
                          "= \"s2\"\ntext = \"x\"\n",
                          "[vars]\nv = \"${s.n}\"\n[[step]]\ndo = \"say\"\nid = \"s\"\ntext = "
                          "\"${v}\"\nexpect = { n = \"${s.n}\" }\n"}) {
    const std::string e = testutil::error_of([&] { parse_scenario(head + bad, "t.toml"); });
    EXPECT_NE(e.find("t.toml:"), std::string::npos) << e;
    EXPECT_TRUE(e.find("names no earlier step") != std::string::npos ||
                e.find("can't be used inside an `expect` table") != std::string::npos ||
                e.find("t.toml:5:5: key 'v': ${s.n}: a var's value can't use a step's result") !=
                    std::string::npos)
        << e;
  }
}

}  // namespace
}  // namespace cbit::scenario
