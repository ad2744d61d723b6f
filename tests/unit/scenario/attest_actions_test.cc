// The attestation actions (scenario/actions/attest.cc) run directly with JsonArgs and one Run:
// a live OVMF guest on a Genoa platform attests to a relying party and seed 004's program prints
// the released secret; each protection is shown refusing and, switched off through the steps'
// keys, letting the same guest through (another image, older firmware, a VMPL1 request); the
// host's attack rows are each refused next to their control.
#include <gtest/gtest.h>

#include <filesystem>

#include "demo/snp_live_guest.h"
#include "scenario/actions/attack.h"
#include "scenario/json_args.h"
#include "scenario/run.h"
#include "unit/input_error.h"
#include "unit/scenario/action_util.h"

namespace cbit::scenario {
namespace {

using testing::action;

using testing::step;

// One platform and its expected guest for the suite (the KDS's RSA keys take seconds to make).
class AttestActions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(demo::kSnpOvmfPath)) return;
    RunOptions o;
    o.cpu = "naples";  // no SNP: the platform says so and runs on genoa
    o.seed = 5;
    run_ = new scenario::Run(o);
    platform_ = step(*run_, "snp-platform", "p", {});
    guest_ = step(*run_, "attest-guest", "g", {});
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
  }
  void SetUp() override {
    if (!run_) GTEST_FAIL() << demo::kSnpOvmfPath << " is missing";
  }
  static std::string transcript() {
    std::string t;
    for (const auto& l : run_->lines()) t += l + "\n";
    return t;
  }
  static scenario::Run* run_;
  static nlohmann::json platform_, guest_;
};
scenario::Run* AttestActions::run_ = nullptr;
nlohmann::json AttestActions::platform_, AttestActions::guest_;

TEST_F(AttestActions, PlatformFallsBackToGenoaAndTheGuestMeasuresAsExpected) {
  EXPECT_EQ(platform_["cpu"], "genoa");
  EXPECT_EQ(platform_["seed"], 5);
  EXPECT_NE(transcript().find("no SEV-SNP; the attestation runs on genoa"), std::string::npos);
  EXPECT_TRUE(guest_["measurement_matches"]) << guest_.dump();
  EXPECT_EQ(guest_["program"], "secret.elf");
  EXPECT_EQ(guest_["measurement"], platform_["expected_measurement"]);
}

TEST_F(AttestActions, RoundTripReleasesTheSecretAndTheGuestProgramPrintsIt) {
  const auto r = step(*run_, "attest", "rt", {{"secret", "4207"}});
  EXPECT_TRUE(r["accepted"]) << r.dump();
  EXPECT_TRUE(r["all_pass"]);
  EXPECT_EQ(r["check_count"], 13u);
  for (const char* c : {"root", "signature", "report-data", "nonce", "tcb", "measurement", "vmpl"})
    EXPECT_EQ(r["checks"][c], "pass") << c;
  EXPECT_TRUE(r["released"]);
  EXPECT_TRUE(r["opened"]);
  EXPECT_TRUE(r["measurement_matches"]);
  EXPECT_TRUE(r["program"]["ran"]);
  EXPECT_NE(r["program"]["output"].get<std::string>().find("My secret is 4207"), std::string::npos);
  EXPECT_NE(transcript().find("My secret is 4207"), std::string::npos);
  // Without a program the secret is still opened, and nothing runs.
  const auto quiet =
      step(*run_, "attest", "rt2", {{"secret", "11"}, {"program", nlohmann::json::array()}});
  EXPECT_TRUE(quiet["opened"]);
  EXPECT_FALSE(quiet["program"]["ran"]);
}

TEST_F(AttestActions, AnotherImageIsRefusedUnlessTheRelyingPartyExpectsIt) {
  const auto g = step(*run_, "attest-guest", "other", {{"image", "other"}, {"disk_program", ""}});
  EXPECT_FALSE(g["measurement_matches"]);
  step(*run_, "relying-party", "rp_default", {});
  const auto refused = step(*run_, "attest", "o1", {{"guest", "other"}, {"secret", "1"}});
  EXPECT_FALSE(refused["accepted"]);
  EXPECT_EQ(refused["first_failure"], "measurement");
  EXPECT_FALSE(refused["released"]);
  EXPECT_FALSE(refused["program"]["ran"]);
  step(*run_, "relying-party", "rp_other", {{"measurement", "other"}});
  const auto off = step(*run_, "attest", "o2", {{"guest", "other"}, {"secret", "1"}});
  EXPECT_TRUE(off["accepted"]) << off.dump();
  EXPECT_TRUE(off["opened"]);
}

TEST_F(AttestActions, OlderFirmwareIsRefusedUnlessTheMinimumIsLowered) {
  step(*run_, "relying-party", "rp_tcb", {});
  const auto refused =
      step(*run_, "attest", "t1", {{"guest", "g"}, {"secret", "2"}, {"firmware_tcb", "older"}});
  EXPECT_EQ(refused["first_failure"], "tcb") << refused.dump();
  EXPECT_FALSE(refused["released"]);
  const auto lax = step(*run_, "relying-party", "rp_old", {{"min_tcb", "older"}});
  EXPECT_LT(lax["min_tcb"]["snp"], platform_["tcb"]["snp"]);
  const auto off =
      step(*run_, "attest", "t2",
           {{"guest", "g"}, {"rp", "rp_old"}, {"secret", "2"}, {"firmware_tcb", "older"}});
  EXPECT_TRUE(off["accepted"]) << off.dump();
}

TEST_F(AttestActions, Vmpl1ReportIsRefusedUnlessTheRelyingPartyAllowsVmpl1) {
  step(*run_, "relying-party", "rp_v0", {});
  const auto refused =
      step(*run_, "attest", "v1", {{"guest", "g"}, {"secret", "3"}, {"vmpck", 1}, {"vmpl", 1}});
  EXPECT_EQ(refused["first_failure"], "vmpl") << refused.dump();
  step(*run_, "relying-party", "rp_v1", {{"max_vmpl", 1}});
  const auto off =
      step(*run_, "attest", "v2", {{"guest", "g"}, {"secret", "3"}, {"vmpck", 1}, {"vmpl", 1}});
  EXPECT_TRUE(off["accepted"]) << off.dump();
}

TEST_F(AttestActions, EveryHostAttackIsRefusedByItsCheckNextToItsControl) {
  const auto r = step(*run_, "attest-attack", "atk", {{"guest", "g"}, {"secret", "77"}});
  const std::map<std::string, std::string> refused_by = {
      {"report-replay", "nonce"},     {"relay", "report-data"},
      {"forged-report", "root"},      {"tcb-rollback", "tcb"},
      {"other-image", "measurement"}, {"ghcb-tamper", "firmware (AES-256-GCM)"},
      {"vmpl1-vmpck0", "vmpl"}};
  for (const auto& [name, check] : refused_by) {
    EXPECT_EQ(r[name]["verdict"], "blocked") << name << r[name].dump();
    EXPECT_EQ(r[name]["refused_by"], check) << name;
    EXPECT_TRUE(r[name]["control_released"]) << name;
  }
  // The rows' protection-off cases: there the attack works.
  EXPECT_TRUE(r["forged-report"]["evidence"]["naive_rp_released"]);
  EXPECT_TRUE(r["vmpl1-vmpck0"]["evidence"]["unprotected_released"]);
  EXPECT_EQ(r["vmpl1-vmpck0"]["evidence"]["vmpck1_claiming_vmpl0"]["status"], 0x16);
  EXPECT_TRUE(r["ghcb-tamper"]["evidence"]["vmpck0_wiped"]);
  EXPECT_FALSE(r["ghcb-tamper"]["evidence"]["later_request"]["report"]);
  // The relying party's verdicts in the evidence, check by check.
  const auto& forged = r["forged-report"]["evidence"]["forged_with_ark"];
  EXPECT_FALSE(forged["accepted"]);
  EXPECT_EQ(forged["first_failure"], "root");
  EXPECT_EQ(forged["checks"]["root"], "fail");
  EXPECT_EQ(forged["checks"]["signature"], "pass");
  // One row alone.
  const auto one = step(*run_, "attest-attack", "atk1",
                        {{"guest", "g"}, {"attacks", {"relay"}}, {"secret", "77"}});
  EXPECT_EQ(one["relay"]["verdict"], "blocked");
  EXPECT_FALSE(one.contains("report-replay"));
}

TEST_F(AttestActions, BadInputNamesTheKey) {
  scenario::Run empty(RunOptions{});
  EXPECT_NE(testutil::error_of([&] {
              step(empty, "attest", "x", {{"secret", "1"}});
            }).find("key 'guest'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "attest", "x", {{"guest", "nope"}, {"secret", "1"}});
            }).find("key 'guest'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "attest", "x", {{"guest", "p"}, {"secret", "1"}});
            }).find("is not an attest-guest"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "attest", "x", {{"secret", "1"}, {"vmpck", 4}});
            }).find("key 'vmpck'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "relying-party", "x", {{"measurement", "abc"}});
            }).find("key 'measurement'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "attest-attack", "x", {{"attacks", {"rowhammer"}}, {"secret", "1"}});
            }).find("key 'attacks'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "snp-platform", "x", {{"guest_ram", "3M"}});
            }).find("key 'guest_ram'"),
            std::string::npos);
  EXPECT_NE(testutil::error_of([&] {
              step(*run_, "snp-platform", "x", {{"ovmf", "/nonexistent/OVMF.fd"}});
            }).find("key 'ovmf'"),
            std::string::npos);
}

}  // namespace
}  // namespace cbit::scenario
