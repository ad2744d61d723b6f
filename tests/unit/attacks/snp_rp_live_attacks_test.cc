// The relying-party attack rows on the live path (demo/snp_live_lab.h): every report comes from
// a guest's own SNP_GET_EXT_REPORT through /dev/sev-guest, the GHCB, KVM and the firmware of a
// Genoa platform, the chain from its KDS stand-in. Each row must be refused by the check (or
// firmware rule) it names while its honest control gets the secret; where the protection can be
// switched off the same attack must work.
#include <gtest/gtest.h>

#include <filesystem>

#include "attacks/snp_rp_attacks.h"
#include "demo/snp_live_guest.h"
#include "demo/snp_live_lab.h"
#include "demo/snp_round_trip.h"
#include "psp/report/attestation_report.h"
#include "sw/owner/snp_expected_measurement.h"
#include "unit/sw/snp_attest_rig.h"

namespace cbit::attacks {
namespace {

const Bytes kSecret = {'4', '2', '4', '2', '4', '2'};

psp::PkeyPtr cached_key(const char* role) {
  return psp::load_or_generate_rsa4096(
      testutil::rp_key_path(std::string(role) == "ark" ? "live-kds-ark.pem" : "live-kds-ask.pem"));
}
psp::PkeyPtr forger_key(const char* role) {
  return psp::load_or_generate_rsa4096(
      testutil::rp_key_path(std::string(role) == "ark" ? "forger-ark.pem" : "forger-ask.pem"));
}

// One platform and expected guest for the suite (launching OVMF costs).
struct Live {
  static Live& get() {
    static Live l;
    return l;
  }
  Live()
      : platform([] {
          demo::SnpPlatformOptions o;
          o.rsa_key = &cached_key;
          return o;
        }()),
        guest(platform),
        lab(demo::make_live_attestation_lab(platform, guest, kSecret, &forger_key)) {}
  demo::SnpPlatform platform;
  demo::LiveSnpGuest guest;
  std::unique_ptr<demo::LiveAttestationLab> lab;
};

class SnpRpLiveAttacks : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(demo::kSnpOvmfPath))
      GTEST_FAIL() << demo::kSnpOvmfPath << " is missing";
  }
  static const AttestationLab& lab() { return Live::get().lab->lab; }
  // Whether the guest behind `source` gets the secret from a relying party with `policy`.
  static bool released_with(sw::owner::SnpRpPolicy policy, const sw::guest::GetReportFn& source) {
    sw::owner::SnpRelyingParty rp(std::move(policy));
    sw::guest::AttestAgent agent(source);
    const auto ev = agent.respond(rp.challenge());
    if (!ev || !rp.evaluate(*ev).accepted) return false;
    const auto w = rp.release(kSecret);
    return w && agent.unwrap(*w) == kSecret;
  }
};

void expect_blocked(const RpAttackResult& r, const std::string& check) {
  EXPECT_TRUE(r.control_released) << r.control_detail;
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.to_json().dump(2);
  EXPECT_EQ(r.refused_by, check) << r.detail;
}

TEST_F(SnpRpLiveAttacks, ReplayOfALiveReportIsRefusedByTheNonce) {
  const RpAttackResult r = rp_report_replay(lab());
  expect_blocked(r, "nonce");
  EXPECT_EQ(r.evidence["replayed_with_new_nonce"]["first_failure"], "report-data");
}

TEST_F(SnpRpLiveAttacks, RelayOfALiveReportGetsNothingOpenable) {
  const RpAttackResult r = rp_relay(lab());
  expect_blocked(r, "report-data");
  EXPECT_TRUE(r.evidence["unchanged_accepted"].get<bool>());
}

TEST_F(SnpRpLiveAttacks, ForgeryOfTheLiveChainIsRefusedByTheRootAndWorksOnANaiveRp) {
  const RpAttackResult r = rp_forged_report(lab());
  expect_blocked(r, "root");
  EXPECT_TRUE(r.evidence["naive_rp_released"].get<bool>()) << r.detail;
}

TEST_F(SnpRpLiveAttacks, OlderReportedTcbIsRefusedAndAcceptedByAnRpWithThatMinimum) {
  auto& live = Live::get();
  // The report really says the older TCB, and the platform reports the committed one again.
  const auto rep = lab().old_firmware_guest(sw::attest::ReportData{});
  ASSERT_TRUE(rep.has_value());
  const auto parsed = psp::AttestationReport::parse(rep->report, "report");
  EXPECT_EQ(parsed.tcb(parsed.reported_tcb), live.lab->old_tcb);
  EXPECT_EQ(live.platform.reported_tcb(), live.platform.committed_tcb());

  expect_blocked(rp_tcb_rollback(lab()), "tcb");
  auto lax = demo::snp_rp_policy(live.platform,
                                 demo::SnpPlatform::expected_measurement(live.platform.ovmf()));
  lax.min_tcb = live.lab->old_tcb;
  EXPECT_TRUE(released_with(std::move(lax), lab().old_firmware_guest));
}

TEST_F(SnpRpLiveAttacks, AnotherImageIsRefusedByTheMeasurementAndAcceptedWhenExpected) {
  auto& live = Live::get();
  expect_blocked(rp_other_image(lab()), "measurement");
  const auto other = sw::owner::expected_snp_measurement(live.lab->other_image->plan());
  EXPECT_NE(other, sw::owner::expected_snp_measurement(live.guest.plan()));
  EXPECT_TRUE(released_with(demo::snp_rp_policy(live.platform, other), lab().other_image_guest));
}

TEST_F(SnpRpLiveAttacks, GhcbTamperIsRefusedByTheFirmwareAndTheGuestWipesItsKey) {
  const RpAttackResult r = rp_ghcb_tamper(lab());
  expect_blocked(r, "firmware (AES-256-GCM)");
  // Control: the untouched request of the same guest got its report.
  EXPECT_TRUE(r.evidence["untouched"]["report"].get<bool>());
  EXPECT_FALSE(r.evidence["tampered"]["report"].get<bool>());
  EXPECT_TRUE(r.evidence["vmpck0_wiped"].get<bool>());
  EXPECT_FALSE(r.evidence["later_request"]["report"].get<bool>());
  EXPECT_NE(r.evidence["later_request"]["rc"].get<int>(), 0);
}

TEST_F(SnpRpLiveAttacks, Vmpl1ComponentNeedsVmpck0ToClaimVmpl0) {
  const RpAttackResult r = rp_vmpl1_vmpck0(lab());
  expect_blocked(r, "vmpl");
  // Protection off (VMPCK0 left in the secrets page): the secret went to the VMPL1 component.
  EXPECT_TRUE(r.evidence["unprotected_released"].get<bool>()) << r.detail;
  // Protection on: VMPCK1 claiming VMPL 0 is INVALID_PARAM, VMPCK0 is gone, VMPL 1 is refused.
  EXPECT_EQ(r.evidence["vmpck1_claiming_vmpl0"]["status"].get<uint32_t>(), 0x16u);
  EXPECT_FALSE(r.evidence["vmpck0_after_zeroing"]["report"].get<bool>());
  EXPECT_EQ(r.evidence["vmpck1_report_vmpl"].get<uint32_t>(), 1u);
}

}  // namespace
}  // namespace cbit::attacks
