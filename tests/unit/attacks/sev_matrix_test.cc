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
  size_t in_matrix = 0;
  for (const auto& a : sev_attacks()) in_matrix += a.in_matrix;
  ASSERT_EQ(rows.size(), in_matrix);
  EXPECT_EQ(in_matrix, sev_attacks().size() - 2);  // not the two password attacks
  // Expected: off always YES (the control); SEV blocks the memory scan, the host write and DMA;
  // SEV-ES also the registers; SNP also remap and replay, not CipherLeaks, WeSee or BadRAM.
  // CacheWarp: milan has the microcode fix (its own test runs without it).
  constexpr Verdict Y = Verdict::Succeeded, N = Verdict::Blocked;
  const std::map<std::string, std::array<Verdict, 4>> want = {
      {"hv-memory-scan", {Y, N, N, N}},     {"hv-write-private", {Y, N, N, N}},
      {"hv-register-access", {Y, Y, N, N}}, {"npt-remap", {Y, Y, Y, N}},
      {"ciphertext-replay", {Y, Y, Y, N}},  {"cipherleaks", {Y, Y, Y, Y}},
      {"cipherleaks-npf", {Y, Y, Y, Y}},    {"dma-private", {Y, N, N, N}},
      {"cachewarp", {N, N, N, N}},          {"wesee-vc-injection", {Y, Y, Y, Y}},
      {"badram-alias", {Y, Y, Y, Y}},
  };
  for (const auto& row : rows) {
    ASSERT_EQ(row.cells.size(), 4u);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_EQ(row.cells[i].verdict, want.at(row.attack)[i])
          << row.attack << " " << mode_flag(row.cells[i].mode) << ": " << row.cells[i].detail;
  }
  const std::string text = render_matrix_text(rows, opt);
  EXPECT_NE(text.find("HV memory scan"), std::string::npos);
  EXPECT_NE(text.find("| SEV-ES"), std::string::npos);
  const auto j = nlohmann::json::parse(render_matrix_json(rows, opt).dump());
  EXPECT_EQ(j["rows"].size(), rows.size());
  EXPECT_EQ(j["rows"][0]["cells"][1]["mode"], "sev");
  EXPECT_EQ(j["rows"][0]["cells"][3]["mode"], "snp");
  EXPECT_NE(text.find("| SEV-SNP"), std::string::npos);
}

TEST(SevAttack, SnpVariantsWorkWithoutAndAreBlockedWithTheMitigation) {
  MatrixOptions opt;
  const auto rows = testbed::run_snp_variants(opt);
  ASSERT_EQ(rows.size(), snp_variants().size());
  for (const auto& r : rows) {
    EXPECT_EQ(r.without.verdict, Verdict::Succeeded) << r.variant << ": " << r.without.detail;
    EXPECT_EQ(r.with.verdict, Verdict::Blocked) << r.variant << ": " << r.with.detail;
    EXPECT_EQ(r.with.mode, SevMode::Snp);
  }
  const std::string text = render_variants_text(rows);
  EXPECT_NE(text.find("restricted injection"), std::string::npos);
  EXPECT_EQ(render_variants_json(rows).size(), rows.size());
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
