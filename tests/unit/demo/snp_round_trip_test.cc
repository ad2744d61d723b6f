// The live attestation round trip (demo/snp_round_trip.h) and `cbit demo --section
// snp-attest`: an OVMF guest on a Genoa platform proves itself through /dev/sev-guest, the
// GHCB, KVM and the firmware; the relying party releases the secret and seed 004's program
// prints it inside the guest. Control: a guest of another image is refused, gets no secret and
// its program never runs.
#include "demo/snp_round_trip.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "demo/demo.h"
#include "demo/snp_live_lab.h"
#include "unit/sw/snp_attest_rig.h"

namespace cbit::demo {
namespace {

psp::PkeyPtr cached_key(const char* role) {
  return psp::load_or_generate_rsa4096(
      testutil::rp_key_path(std::string(role) == "ark" ? "live-kds-ark.pem" : "live-kds-ask.pem"));
}

class SnpRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSnpOvmfPath)) GTEST_FAIL() << kSnpOvmfPath << " is missing";
  }
  static SnpPlatformOptions options() {
    SnpPlatformOptions o;
    o.rsa_key = &cached_key;
    return o;
  }
};

TEST_F(SnpRoundTripTest, GuestProgramPrintsTheSecretTheRelyingPartyReleased) {
  SnpPlatform p(options());
  LiveSnpGuest g(p, {}, secret_program_disk());
  const SnpRoundTrip rt = run_snp_round_trip(p, g, "4207");
  ASSERT_TRUE(rt.verdict.accepted) << rt.verdict.render();
  for (const char* name :
       {"signature", "chain", "root", "report-data", "nonce", "tcb", "measurement", "vmpl"}) {
    const auto* c = rt.verdict.find(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->status, sw::owner::RpCheck::Status::Pass) << name;
  }
  EXPECT_EQ(rt.measurement, rt.expected_measurement);
  EXPECT_EQ(rt.reported_tcb, p.committed_tcb());
  EXPECT_TRUE(rt.released && rt.opened);
  EXPECT_TRUE(rt.program_printed) << rt.program.output << rt.program.detail;
  EXPECT_NE(rt.program.output.find("My secret is 4207"), std::string::npos);
  EXPECT_EQ(rt.program.argv.at(1), "4207");
}

TEST_F(SnpRoundTripTest, ControlAnotherImageGetsNoSecretAndItsProgramNeverRuns) {
  SnpPlatform p(options());
  LiveSnpGuest g(p, other_ovmf_image(p.ovmf()), secret_program_disk());
  const SnpRoundTrip rt = run_snp_round_trip(p, g, "4207");
  EXPECT_FALSE(rt.verdict.accepted);
  EXPECT_EQ(rt.verdict.first_failure, "measurement") << rt.verdict.render();
  EXPECT_EQ(rt.verdict.find("signature")->status, sw::owner::RpCheck::Status::Pass);
  EXPECT_NE(rt.measurement, rt.expected_measurement);
  EXPECT_FALSE(rt.released);
  EXPECT_FALSE(rt.program_printed);
  EXPECT_EQ(rt.program.state, sw::guest::ProgramRun::State::NotFound);
}

// The section is examples/scenarios/snp-attest.toml (its secret is the file's [vars] secret).
TEST_F(SnpRoundTripTest, DemoSectionShowsTheRoundTripAndEveryRowWithItsControl) {
  DemoOptions opt;  // naples: the section says so and runs on genoa
  opt.seed = 3;
  const Section s = run_section("snp-attest", opt);
  for (const auto& c : s.checks) EXPECT_TRUE(c.ok) << c.what;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.file, "examples/scenarios/snp-attest.toml");
  EXPECT_GE(s.checks.size(), 4u + 2u * 7u + 6u);
  std::string text;
  for (const auto& l : s.lines) text += l + "\n";
  EXPECT_NE(text.find("My secret is 1055436"), std::string::npos) << text;
  EXPECT_NE(text.find("runs on genoa"), std::string::npos);
  for (const char* row : {"report-replay", "relay", "forged-report", "tcb-rollback", "other-image",
                          "ghcb-tamper", "vmpl1-vmpck0"}) {
    EXPECT_EQ(s.data["attacks"][row]["verdict"], "blocked") << row;
    EXPECT_TRUE(s.data["attacks"][row]["control_released"]) << row;
  }
}

}  // namespace
}  // namespace cbit::demo
