// examples/scenarios/sev-attacks.toml and snp-attest.toml as the parser sees them (their runs are
// the demo's tests: tests/unit/demo/demo_sections_test.cc, snp_round_trip_test.cc): every check
// of the old C++ sections is there, and a mistake in a step's attack keys is named by file, line
// and key before anything runs.
#include <gtest/gtest.h>

#include <string>

#include "scenario/embedded.h"
#include "scenario/parse.h"
#include "unit/input_error.h"

namespace cbit::scenario {
namespace {

std::string text_of(std::string_view id) {
  const auto* f = embedded_scenario(id);
  if (!f) throw std::runtime_error("not embedded: " + std::string(id));
  return std::string(f->text);
}

size_t check_lines(const Scenario& sc) {
  size_t n = sc.expects.size();
  for (const auto& s : sc.steps) n += !s.expect.empty();
  return n;
}

TEST(AttackScenarioFiles, SevAttacksChecksEveryCellAndEveryMitigation) {
  const Scenario sc = parse_scenario(text_of("sev-attacks"), "examples/scenarios/sev-attacks.toml");
  EXPECT_EQ(check_lines(sc), 11u * 4u + 4u * 2u);  // the old section's 52 checks
  ASSERT_FALSE(sc.steps.empty());
  EXPECT_EQ(sc.steps[0].action->name, "attack-matrix");
}

TEST(AttackScenarioFiles, SnpAttestChecksTheRoundTripEveryRowAndTheProtectionsOff) {
  const Scenario sc = parse_scenario(text_of("snp-attest"), "examples/scenarios/snp-attest.toml");
  EXPECT_GE(check_lines(sc), 4u + 2u * 7u + 6u);  // the old section's 24 checks, and more
  bool attack = false;
  for (const auto& s : sc.steps) attack = attack || s.action->name == "attest-attack";
  EXPECT_TRUE(attack);
}

TEST(AttackScenarioFiles, AMistakeInAnAttackStepIsNamedBeforeAnythingRuns) {
  std::string t = text_of("sev-attacks");
  const std::string step = "do = \"attack-matrix\"\nid = \"matrix\"\n";
  const size_t at = t.find(step);
  ASSERT_NE(at, std::string::npos);
  // Control: the file as it is parses.
  EXPECT_EQ(testutil::error_of([&] { parse_scenario(t, "sev-attacks.toml"); }), "");
  t.insert(at + step.size(), "attacks = [\"rowhammer\"]\n");
  const std::string e = testutil::error_of([&] { parse_scenario(t, "sev-attacks.toml"); });
  EXPECT_NE(e.find("sev-attacks.toml:"), std::string::npos) << e;
  EXPECT_NE(e.find("key 'attacks'"), std::string::npos) << e;
  EXPECT_NE(e.find("rowhammer"), std::string::npos) << e;

  std::string u = text_of("snp-attest");
  const size_t rt = u.find("do = \"attest\"\nid = \"rt\"\n");
  ASSERT_NE(rt, std::string::npos);
  u.insert(rt, "do = \"attest\"\nid = \"x\"\nsecret = \"1\"\nvmpck = 9\n\n[[step]]\n");
  const std::string e2 = testutil::error_of([&] { parse_scenario(u, "snp-attest.toml"); });
  EXPECT_NE(e2.find("key 'vmpck'"), std::string::npos) << e2;
}

}  // namespace
}  // namespace cbit::scenario
