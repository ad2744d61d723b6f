// The scenario actions `attack` and `attack-matrix` (scenario/actions/attack.cc), run directly
// with JsonArgs and a Run: each verdict is the attack's own measurement, next to its control
// (the plain VM, or the platform without the mitigation, where the attack must work).
#include <gtest/gtest.h>

#include "scenario/actions/attack.h"
#include "scenario/json_args.h"
#include "scenario/run.h"
#include "testbed/sev_host.h"
#include "unit/input_error.h"
#include "unit/scenario/action_util.h"

namespace cbit::scenario {
namespace {

using testing::action;

using testing::step;

RunOptions milan() {
  RunOptions o;
  o.cpu = "milan";
  return o;
}

TEST(AttackAction, MemoryScanWorksOnThePlainVmAndIsBlockedUnderSev) {
  scenario::Run run(milan());
  const auto off = step(run, "attack", "off", {{"attack", "hv-memory-scan"}, {"mode", "off"}});
  const auto sev = step(run, "attack", "sev", {{"attack", "hv-memory-scan"}, {"mode", "sev"}});
  EXPECT_EQ(off["verdict"], "succeeded") << off.dump();  // control
  EXPECT_EQ(sev["verdict"], "blocked") << sev.dump();
  EXPECT_EQ(off["attack"], "hv-memory-scan");
  EXPECT_EQ(sev["mode"], "sev");
  EXPECT_EQ(sev["cpu"], "milan");
  EXPECT_FALSE(sev["got"].get<std::string>().empty());
  ASSERT_GE(run.lines().size(), 2u);
  EXPECT_NE(run.lines()[0].find("HV memory scan [off] on milan: succeeded"), std::string::npos)
      << run.lines()[0];
}

TEST(AttackAction, MitigationOffLetsCacheWarpWorkAndOnBlocksIt) {
  scenario::Run run(milan());
  const auto without = step(run, "attack", "w",
                            {{"attack", "cachewarp"},
                             {"mode", "snp"},
                             {"mitigation", "cachewarp-fix"},
                             {"mitigated", false}});
  const auto with =
      step(run, "attack", "m",
           {{"attack", "cachewarp"}, {"mode", "snp"}, {"mitigation", "cachewarp-fix"}});
  EXPECT_EQ(without["verdict"], "succeeded") << without.dump();
  EXPECT_EQ(with["verdict"], "blocked") << with.dump();
  EXPECT_EQ(without["platform"]["set"], nlohmann::json({"cachewarp-fix=0"}));
}

TEST(AttackAction, SetOverridesReachTheHost) {
  // milan has the CacheWarp fix; `set` takes it away, as `cbit attack --set` does.
  scenario::Run run(milan());
  const auto fixed = step(run, "attack", "a", {{"attack", "cachewarp"}, {"mode", "sev-es"}});
  const auto unfixed =
      step(run, "attack", "b",
           {{"attack", "cachewarp"}, {"mode", "sev-es"}, {"set", {"cachewarp-fix=0"}}});
  EXPECT_EQ(fixed["verdict"], "blocked");
  EXPECT_EQ(unfixed["verdict"], "succeeded");
}

TEST(AttackAction, ModelWithoutSevEsIsAnErrorVerdictNotACrash) {
  RunOptions o;
  o.cpu = "naples";  // no ASID for SEV-ES guests
  scenario::Run run(o);
  const auto r = step(run, "attack", "a", {{"attack", "hv-register-access"}, {"mode", "sev-es"}});
  EXPECT_EQ(r["verdict"], "error") << r.dump();
  EXPECT_FALSE(r["detail"].get<std::string>().empty());
}

TEST(AttackAction, BadInputNamesTheKey) {
  scenario::Run run(milan());
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack", "a", {{"attack", "nope"}, {"mode", "off"}});
            }).find("key 'attack'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack", "a", {{"attack", "cachewarp"}, {"mode", "tdx"}});
            }).find("key 'mode'"),
            std::string::npos);
  const std::string set = testutil::error_of([&] {
    step(run, "attack", "a",
         {{"attack", "cachewarp"}, {"mode", "off"}, {"set", {"cachewarp-fix=7"}}});
  });
  EXPECT_NE(set.find("key 'set'"), std::string::npos) << set;
  EXPECT_NE(
      testutil::error_of([&] {
        step(run, "attack", "a", {{"attack", "cachewarp"}, {"mode", "off"}, {"mitigated", false}});
      }).find("key 'mitigated'"),
      std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack", "a", {{"attack", "cachewarp"}, {"mode", "off"}, {"cpu", "z80"}});
            }).find("key 'cpu'"),
            std::string::npos);
  // Control: the same step with good values runs.
  EXPECT_EQ(testutil::error_of([&] {
              step(run, "attack", "a", {{"attack", "cachewarp"}, {"mode", "off"}});
            }),
            "");
}

TEST(AttackAction, RunsOnAHostAnEarlierStepMade) {
  scenario::Run run(milan());
  testbed::SevHostOptions ho;
  ho.cpu = "milan";
  run.put("h", std::make_shared<testbed::SevHost>(ho));
  const auto off =
      step(run, "attack", "a", {{"host", "h"}, {"attack", "hv-memory-scan"}, {"mode", "off"}});
  const auto es =
      step(run, "attack", "b", {{"host", "h"}, {"attack", "hv-memory-scan"}, {"mode", "sev-es"}});
  EXPECT_EQ(off["verdict"], "succeeded") << off.dump();  // control
  EXPECT_EQ(es["verdict"], "blocked") << es.dump();
  EXPECT_EQ(es["host"], "h");
  // A fresh host's keys do not go with `host`; a host that was never made is named.
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack", "c",
                   {{"host", "h"}, {"attack", "cachewarp"}, {"mode", "off"}, {"cpu", "genoa"}});
            }).find("key 'cpu'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack", "c", {{"host", "h2"}, {"attack", "cachewarp"}, {"mode", "off"}});
            }).find("key 'host'"),
            std::string::npos);
}

TEST(AttackMatrixAction, CellsAndVariantsAreCheckableByPath) {
  scenario::Run run(milan());
  const auto m =
      step(run, "attack-matrix", "matrix",
           {{"attacks", {"hv-memory-scan", "cipherleaks"}}, {"modes", {"off", "sev-es", "snp"}}});
  EXPECT_EQ(m["hv-memory-scan"]["off"], "succeeded") << m.dump();  // control
  EXPECT_EQ(m["hv-memory-scan"]["sev-es"], "blocked");
  EXPECT_EQ(m["cipherleaks"]["sev-es"], "succeeded");
  EXPECT_EQ(m["cipherleaks"]["snp"], "succeeded");
  EXPECT_FALSE(m.contains("npt-remap"));
  EXPECT_EQ(m["cells"]["cipherleaks"]["snp"]["verdict"], "succeeded");
  EXPECT_EQ(m["modes"], nlohmann::json({"off", "sev-es", "snp"}));
  // Only the variant of a listed attack: ciphertext hiding stops CipherLeaks.
  ASSERT_EQ(m["variants"].size(), 1u) << m["variants"].dump();
  EXPECT_EQ(m["variants"]["ciphertext-hiding"]["without"], "succeeded");
  EXPECT_EQ(m["variants"]["ciphertext-hiding"]["with"], "blocked");
  std::string text;
  for (const auto& l : run.lines()) text += l + "\n";
  EXPECT_NE(text.find("SEV attack matrix (cpu milan"), std::string::npos) << text;
  EXPECT_NE(text.find("ciphertext hiding"), std::string::npos) << text;
  EXPECT_EQ(text.find("Details:"), std::string::npos);
}

TEST(AttackMatrixAction, CpuWithoutSevEsFallsBackAndSaysSo) {
  RunOptions o;
  o.cpu = "naples";
  scenario::Run run(o);
  const auto m =
      step(run, "attack-matrix", "m", {{"attacks", {"hv-register-access"}}, {"variants", false}});
  EXPECT_EQ(m["cpu"], "milan");
  EXPECT_EQ(m["hv-register-access"]["sev"], "succeeded");
  EXPECT_EQ(m["hv-register-access"]["sev-es"], "blocked");
  EXPECT_TRUE(m["variants"].empty());
  EXPECT_NE(run.lines().at(0).find("runs on milan"), std::string::npos) << run.lines()[0];
}

TEST(AttackMatrixAction, CpuWithoutSnpFallsBackForTheSnpColumnOnly) {
  RunOptions o;
  o.cpu = "rome";  // SEV-ES, no SEV-SNP
  scenario::Run run(o);
  const auto es = step(run, "attack-matrix", "es",
                       {{"attacks", {"hv-memory-scan"}}, {"modes", {"off", "sev-es"}}});
  EXPECT_EQ(es["cpu"], "rome");  // nothing missing for these columns
  const auto all = step(run, "attack-matrix", "all", {{"attacks", {"hv-memory-scan"}}});
  EXPECT_EQ(all["cpu"], "milan");
  EXPECT_EQ(all["hv-memory-scan"]["snp"], "blocked");
  const auto none =
      step(run, "attack-matrix", "none", {{"attacks", {"hv-memory-scan"}}, {"fallback", ""}});
  EXPECT_EQ(none["cpu"], "rome");
  EXPECT_FALSE(none["hv-memory-scan"].contains("snp"));
  std::string text;
  for (const auto& l : run.lines()) text += l + "\n";
  EXPECT_NE(text.find("no SEV-SNP: the matrix runs on milan"), std::string::npos) << text;
  EXPECT_NE(text.find("the SNP column and its variants are left out"), std::string::npos);
}

TEST(AttackMatrixAction, NoFallbackLeavesTheColumnAnError) {
  RunOptions o;
  o.cpu = "naples";
  scenario::Run run(o);
  const auto m =
      step(run, "attack-matrix", "m",
           {{"attacks", {"hv-register-access"}}, {"fallback", ""}, {"modes", {"off", "sev-es"}}});
  EXPECT_EQ(m["cpu"], "naples");
  EXPECT_EQ(m["hv-register-access"]["off"], "succeeded");
  EXPECT_EQ(m["hv-register-access"]["sev-es"], "error");
  EXPECT_FALSE(m["modes"].dump().find("snp") != std::string::npos);  // naples: no SNP column
}

TEST(AttackMatrixAction, BadRowsAndModesNameTheKey) {
  scenario::Run run(milan());
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack-matrix", "m", {{"attacks", {"x"}}});
            }).find("key 'attacks'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack-matrix", "m", {{"modes", {"tdx"}}});
            }).find("key 'modes'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(run, "attack-matrix", "m", {{"fallback", "z"}});
            }).find("key 'fallback'"),
            std::string::npos);
}

}  // namespace
}  // namespace cbit::scenario
