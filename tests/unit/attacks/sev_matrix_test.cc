// The matrix runner: every attack in every mode, the verdicts the hardware model produces, the
// table and the JSON.
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "common/error.h"
#include "testbed/sev_matrix_run.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, MatrixVerdictsAndRendering) {
  MatrixOptions opt;
  const auto rows = testbed::run_sev_attack_matrix(opt);
  ASSERT_EQ(rows.size(), sev_attacks().size());
  // Expected: off always YES; SEV blocks the memory scan and DMA; SEV-ES also the registers.
  const std::map<std::string, std::array<Verdict, 3>> want = {
      {"hv-memory-scan", {Verdict::Succeeded, Verdict::Blocked, Verdict::Blocked}},
      {"hv-register-access", {Verdict::Succeeded, Verdict::Succeeded, Verdict::Blocked}},
      {"npt-remap", {Verdict::Succeeded, Verdict::Succeeded, Verdict::Succeeded}},
      {"ciphertext-replay", {Verdict::Succeeded, Verdict::Succeeded, Verdict::Succeeded}},
      {"cipherleaks", {Verdict::Succeeded, Verdict::Succeeded, Verdict::Succeeded}},
      {"cipherleaks-npf", {Verdict::Succeeded, Verdict::Succeeded, Verdict::Succeeded}},
      {"dma-private", {Verdict::Succeeded, Verdict::Blocked, Verdict::Blocked}},
  };
  for (const auto& row : rows) {
    ASSERT_EQ(row.cells.size(), 3u);
    for (size_t i = 0; i < 3; ++i)
      EXPECT_EQ(row.cells[i].verdict, want.at(row.attack)[i])
          << row.attack << " " << mode_flag(row.cells[i].mode) << ": " << row.cells[i].detail;
  }
  const std::string text = render_matrix_text(rows, opt);
  EXPECT_NE(text.find("HV memory scan"), std::string::npos);
  EXPECT_NE(text.find("| SEV-ES"), std::string::npos);
  const auto j = nlohmann::json::parse(render_matrix_json(rows, opt).dump());
  EXPECT_EQ(j["rows"].size(), rows.size());
  EXPECT_EQ(j["rows"][0]["cells"][1]["mode"], "sev");
}

TEST(SevAttack, MatrixSevEsOnNaplesIsAnErrorNotAVerdict) {
  MatrixOptions opt;
  opt.cpu = "naples";
  opt.modes = {SevMode::SevEs};
  const auto r = testbed::run_sev_attack(sev_attack_by_name("hv-memory-scan"), SevMode::SevEs, opt);
  EXPECT_EQ(r.verdict, Verdict::Error);
  EXPECT_NE(r.detail.find("SEV-ES"), std::string::npos);
  // Control: SEV on the same part runs and is blocked.
  const auto s = testbed::run_sev_attack(sev_attack_by_name("hv-memory-scan"), SevMode::Sev, opt);
  EXPECT_EQ(s.verdict, Verdict::Blocked) << s.detail;
}

TEST(SevAttack, UnknownAttackAndModeAreInputErrors) {
  EXPECT_THROW(sev_attack_by_name("rowhammer"), InputError);
  EXPECT_EQ(parse_sev_mode("snp"), SevMode::Snp);
  EXPECT_THROW(parse_sev_mode("sev-snp"), InputError);
  EXPECT_EQ(parse_sev_mode("sev-es"), SevMode::SevEs);
}

}  // namespace
}  // namespace cbit::attacks
