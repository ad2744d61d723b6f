// scenario/engine.h end to end on a tiny scenario: steps run in order per case, results land
// under their full ids, a step's expect and an [[expect]] become check lines, a failing check
// says what it saw, and a run-time input error names the step's line and key.
#include "scenario/engine.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "common/error.h"
#include "scenario/embedded.h"
#include "scenario/json_args.h"
#include "scenario/run.h"
#include "unit/input_error.h"
#include "unit/temp_dir.h"

namespace cbit::scenario {
namespace {

const char kTiny[] = R"([scenario]
id = "tiny"
title = "Cold boot with and without SME"
about = "The smallest useful scenario."
cpu = "milan"

[vars]
secret = "tiny-secret-0123456789"

[[case]]
id = "off"
vars = { cmdline = "mem_encrypt=off", want = { at_least = 1 } }

[[case]]
id = "sme"
vars = { cmdline = "mem_encrypt=on", want = 0 }

[[step]]
do = "machine"
id = "m"
dram = "32M"

[[step]]
do = "host-boot"
machine = "m"
cmdline = "${cmdline}"
swiotlb = 0

[[step]]
do = "host-write"
id = "page"
data = "${secret}"

[[step]]
do = "flush-caches"

[[step]]
do = "cold-boot"
id = "cb"
find = ["${secret}"]
expect = { found = "${want}" }

[[expect]]
check = "the control finds what SME hides"
that = { "off.cb.found" = { at_least = 1 }, "sme.cb.found" = 0 }

[[expect]]
check = "a check that must fail"
that = { "sme.cb.found" = 5 }
)";

RunOptions opts(const testutil::UniqueTempDir& dir) {
  RunOptions o;
  o.seed = 7;
  o.workdir = dir.path().string();
  return o;
}

TEST(ScenarioEngine, RunsATinyScenario) {
  const testutil::UniqueTempDir dir("cbit-scenario-engine");
  const Scenario sc = parse_scenario(kTiny, "tiny.toml");
  const RunResult r = run_scenario(sc, opts(dir));
  ASSERT_EQ(r.checks.size(), 4u);
  EXPECT_TRUE(r.checks[0].ok) << r.checks[0].check << " " << r.checks[0].saw;  // off.cb
  EXPECT_TRUE(r.checks[1].ok) << r.checks[1].check << " " << r.checks[1].saw;  // sme.cb
  EXPECT_TRUE(r.checks[2].ok) << r.checks[2].saw;
  EXPECT_EQ(r.checks[0].check, "off.cb: found at least 1");
  // The control: a check that cannot hold fails, and says what it saw.
  EXPECT_FALSE(r.checks[3].ok);
  EXPECT_EQ(r.checks[3].saw, "sme.cb.found = 0");
  EXPECT_FALSE(r.ok());
  EXPECT_GE(r.results["off.cb"]["found"].get<int>(), 1);
  EXPECT_EQ(r.results["sme.cb"]["found"], 0);
  EXPECT_EQ(r.results["sme.m"]["cpu"], "milan");  // the file's cpu
  // The transcript: about, step lines, the step's check line right after its step.
  ASSERT_FALSE(r.transcript.empty());
  EXPECT_EQ(r.transcript[0], "  The smallest useful scenario.");
  bool cb_then_check = false;
  for (size_t i = 0; i + 1 < r.transcript.size(); ++i)
    cb_then_check |= r.transcript[i].rfind("  off.cb: cold boot", 0) == 0 &&
                     r.transcript[i + 1] == "  [ ok ] off.cb: found at least 1";
  EXPECT_TRUE(cb_then_check);
  EXPECT_EQ(r.transcript.back(), "  [FAIL] a check that must fail — saw sme.cb.found = 0");
  const auto j = r.to_json();
  EXPECT_EQ(j["scenario"], "tiny");
  EXPECT_EQ(j["steps"].size(), 10u);
  EXPECT_EQ(j["checks"][3]["saw"], "sme.cb.found = 0");
  EXPECT_EQ(j["ok"], false);
}

TEST(ScenarioEngine, CpuOptionAndStepPrecedence) {
  const testutil::UniqueTempDir dir("cbit-scenario-cpu");
  const std::string text = R"([scenario]
id = "c"
title = "c"
cpu = "milan"
[[step]]
do = "machine"
id = "a"
dram = "32M"
[[step]]
do = "machine"
id = "b"
dram = "32M"
cpu = "rome"
)";
  RunOptions o = opts(dir);
  o.cpu = "genoa";  // --cpu beats the file's cpu, not a step's
  const RunResult r = run_scenario(parse_scenario(text, "c.toml"), o);
  EXPECT_EQ(r.results["a"]["cpu"], "genoa");
  EXPECT_EQ(r.results["b"]["cpu"], "rome");
  o.cpu.clear();
  EXPECT_EQ(run_scenario(parse_scenario(text, "c.toml"), o).results["a"]["cpu"], "milan");
}

TEST(ScenarioEngine, RunTimeInputErrorNamesTheStepsKey) {
  const testutil::UniqueTempDir dir("cbit-scenario-rterr");
  const std::string text = R"([scenario]
id = "e"
title = "e"
[[step]]
do = "machine"
dram = "32M"
[[step]]
do = "host-read"
buffer = "nope"
)";
  const std::string e =
      testutil::error_of([&] { run_scenario(parse_scenario(text, "e.toml"), opts(dir)); });
  EXPECT_NE(e.find("e.toml:9:10: key 'buffer'"), std::string::npos) << e;
  EXPECT_NE(e.find("no earlier step made 'nope'"), std::string::npos) << e;
}

TEST(ScenarioRun, ObjectsBelongToTheirCase) {
  scenario::Run run(RunOptions{});
  const JsonArgs want({{"machine", "m"}}, "s.toml:9:1 (step 2)", {{"machine", "s.toml:10:11"}});
  auto a = std::make_shared<int>(1);
  std::weak_ptr<int> a_alive = a;
  run.begin_step("a", "m", "s.toml:5:1");
  run.keep(std::move(a));
  EXPECT_EQ(run.get<int>(want, "machine", "a machine"), 1);
  run.begin_step("b", "x", "s.toml:9:1");
  // Case b does not see case a's "m", and says where it looked.
  const std::string e = testutil::error_of([&] { run.get<int>(want, "machine", "a machine"); });
  EXPECT_NE(e.find("s.toml:10:11: key 'machine': no earlier step made 'm'"), std::string::npos)
      << e;
  EXPECT_EQ(run.latest<int>(), nullptr);
  run.put("m", std::make_shared<int>(2), "s.toml:5:1");  // b's own "m": no clash with a's
  EXPECT_EQ(run.get<int>(want, "machine", "a machine"), 2);
  EXPECT_NE(
      testutil::error_of([&] { run.put("m", std::make_shared<int>(3), "w"); }).find("already used"),
      std::string::npos);
  // Another kind of object under the id is named as such.
  EXPECT_NE(testutil::error_of([&] {
              run.get<double>(want, "machine", "a number");
            }).find("is not a number"),
            std::string::npos);
  EXPECT_FALSE(a_alive.expired());
  run.end_case("a");
  EXPECT_TRUE(a_alive.expired());
}

TEST(ScenarioEngine, ResultReferencesAreFilledInWithTheirTypes) {
  const testutil::UniqueTempDir dir("cbit-scenario-refs");
  const std::string text = R"([scenario]
id = "r"
title = "r"
[[step]]
do = "machine"
id = "m"
dram = "32M"
[[step]]
do = "say"
text = "C-bit ${m.cbit} on ${m.cpu}, $$5"
[[step]]
do = "machine"
id = "m2"
dram = "${m.dram}"
[[step]]
do = "say"
text = "${m.nothing}"
)";
  const Scenario sc = parse_scenario(text, "r.toml");
  std::string err;
  RunResult r;
  try {
    run_scenario(sc, opts(dir));
  } catch (const InputError& e) {
    err = e.what();
  }
  // The last step names a result the machine does not have: refused at its line and key.
  EXPECT_NE(err.find("r.toml:17:8: key 'text': ${m.nothing}"), std::string::npos) << err;
  Scenario ok = sc;
  ok.steps.pop_back();
  r = run_scenario(ok, opts(dir));
  EXPECT_EQ(r.results["m2"]["dram"], 32u << 20);  // an integer stays one
  bool said = false;
  for (const auto& l : r.lines) said |= l == "C-bit 47 on naples, $5";
  EXPECT_TRUE(said);
}

// Any exception out of a step names the step's position, id and action, and carries the run
// so far (its transcript and steps); a message that already names the file is kept.
TEST(ScenarioEngine, RunTimeErrorNamesTheStepAndKeepsTheRunSoFar) {
  const testutil::UniqueTempDir dir("cbit-scenario-steperr");
  const std::string text = R"([scenario]
id = "s"
title = "s"
[[step]]
do = "say"
text = "before"
[[step]]
do = "say"
text = "second"
)";
  Scenario sc = parse_scenario(text, "s.toml");
  EXPECT_NO_THROW(run_scenario(sc, opts(dir)));  // the control
  Action boom = *find_action("say");
  boom.run = [](const Args&, scenario::Run& run) -> nlohmann::json {
    run.say("half-way");
    throw std::runtime_error("KVM_SEV_INIT2: -EINVAL");
  };
  sc.steps[1].action = &boom;
  try {
    run_scenario(sc, opts(dir));
    FAIL() << "no error";
  } catch (const StepError& e) {
    EXPECT_EQ(std::string(e.what()), "s.toml:7:1: step #2 (do = \"say\"): KVM_SEV_INIT2: -EINVAL");
    ASSERT_EQ(e.partial().steps.size(), 1u);
    EXPECT_EQ(e.partial().lines, (std::vector<std::string>{"before", "half-way"}));
  }
  boom.run = [](const Args& a, scenario::Run&) -> nlohmann::json {
    throw InputError(a.where("text") + ": bad");
  };
  EXPECT_EQ(testutil::error_of([&] { run_scenario(sc, opts(dir)); }),
            "s.toml:9:8: key 'text': bad");
}

// ciphertext_hiding on a CPU without it: refused before the host boots, with the hint.
TEST(ScenarioEngine, CiphertextHidingWithoutTheCpuFlagIsExplained) {
  const testutil::UniqueTempDir dir("cbit-scenario-ch");
  const std::string text = R"([scenario]
id = "c"
title = "c"
cpu = "milan"
[[step]]
do = "attack"
attack = "cipherleaks"
mode = "snp"
ciphertext_hiding = true
)";
  const std::string e =
      testutil::error_of([&] { run_scenario(parse_scenario(text, "c.toml"), opts(dir)); });
  EXPECT_NE(e.find("c.toml:9:21: key 'ciphertext_hiding'"), std::string::npos) << e;
  EXPECT_NE(e.find("set = [\"ciphertext-hiding=1\"]"), std::string::npos) << e;
}

// attack's CPU: --cpu, else [scenario] cpu, else milan (not the machine's naples).
TEST(ScenarioEngine, AttackDefaultsToMilanWithoutAFileCpu) {
  const testutil::UniqueTempDir dir("cbit-scenario-atkcpu");
  const std::string text = R"([scenario]
id = "a"
title = "a"
[[step]]
do = "attack"
id = "a"
attack = "hv-memory-scan"
mode = "off"
)";
  RunOptions o = opts(dir);
  EXPECT_EQ(run_scenario(parse_scenario(text, "a.toml"), o).results["a"]["cpu"], "milan");
  o.cpu = "rome";  // the control: --cpu wins
  EXPECT_EQ(run_scenario(parse_scenario(text, "a.toml"), o).results["a"]["cpu"], "rome");
}

// A result that does not exist: the nearest field is suggested.
TEST(ScenarioEngine, MissingResultSuggestsTheNearestField) {
  const testutil::UniqueTempDir dir("cbit-scenario-near");
  const std::string text = R"([scenario]
id = "n"
title = "n"
[[step]]
do = "machine"
id = "m"
dram = "32M"
[[step]]
do = "say"
text = "${m.cbitt}"
)";
  const std::string e =
      testutil::error_of([&] { run_scenario(parse_scenario(text, "n.toml"), opts(dir)); });
  EXPECT_NE(e.find("n.toml:10:8: key 'text': ${m.cbitt}: step 'm' has no result 'cbitt'; did "
                   "you mean 'cbit'?"),
            std::string::npos)
      << e;
}

TEST(ScenarioEngine, EmbeddedSectionFilesParse) {
  ASSERT_FALSE(embedded_scenarios().empty());
  ASSERT_NE(embedded_scenario("sme-full"), nullptr);
  EXPECT_EQ(embedded_scenario("sme-full")->path, "examples/scenarios/sme-full.toml");
  EXPECT_EQ(embedded_scenario("sme"), nullptr);
  for (const auto& f : embedded_scenarios())
    EXPECT_EQ(testutil::error_of([&] { parse_scenario(f.text, std::string(f.path)); }), "")
        << f.path;
}

}  // namespace
}  // namespace cbit::scenario
