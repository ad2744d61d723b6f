// The relying-party attack rows (src/attacks/snp_rp_attacks.h): each is blocked by the check
// the row names, its honest control gets the secret, and where the protection can be switched
// off (a relying party that trusts the evidence's ARK, a lower TCB minimum, another expected
// image) the same attack succeeds. The live versions: snp_rp_live_attacks_test.cc.
#include "attacks/snp_rp_attacks.h"

#include <gtest/gtest.h>

#include "unit/sw/snp_attest_rig.h"

namespace cbit::attacks {
namespace {

using testutil::SimGuest;

AttestationLab lab(sw::owner::SnpRpPolicy (*policy)() = &testutil::rp_policy) {
  AttestationLab l;
  l.relying_party = [policy] { return std::make_unique<sw::owner::SnpRelyingParty>(policy()); };
  l.guest = testutil::report_source({});
  SimGuest other;
  other.measurement = testutil::image_b();
  other.report_id_seed = 2;
  l.other_image_guest = testutil::report_source(other);
  SimGuest old;
  old.tcb = testutil::old_tcb();
  old.report_id_seed = 3;
  l.old_firmware_guest = testutil::report_source(old);
  l.attacker_rsa_key = [](const char* role) {
    return psp::load_or_generate_rsa4096(
        testutil::rp_key_path(role == std::string("ark") ? "forger-ark.pem" : "forger-ask.pem"));
  };
  return l;
}

void expect_blocked(const RpAttackResult& r, const std::string& check) {
  EXPECT_TRUE(r.control_released) << r.control_detail;
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.to_json().dump(2);
  EXPECT_EQ(r.refused_by, check) << r.detail;
}

TEST(SnpRpAttacks, ReportReplayIsRefusedByTheNonce) {
  const RpAttackResult r = rp_report_replay(lab());
  expect_blocked(r, "nonce");
  EXPECT_EQ(r.evidence["replayed_with_new_nonce"]["first_failure"], "report-data");
  EXPECT_TRUE(r.evidence["control"]["accepted"].get<bool>());
}

TEST(SnpRpAttacks, RelayGetsNothingOpenable) {
  const RpAttackResult r = rp_relay(lab());
  expect_blocked(r, "report-data");
  // The unchanged genuine evidence is accepted -- and still useless to the attacker.
  EXPECT_TRUE(r.evidence["unchanged_accepted"].get<bool>());
  EXPECT_EQ(r.got, "refused: report-data");
}

TEST(SnpRpAttacks, ForgedChainWithTheChipsNamesIsRefusedByTheRoot) {
  const RpAttackResult r = rp_forged_report(lab());
  expect_blocked(r, "root");
  EXPECT_EQ(r.evidence["forged_without_ark"]["first_failure"], "chain");
  // Control with the protection off: a relying party that trusts the ARK in the evidence
  // releases the secret to the forger.
  EXPECT_TRUE(r.evidence["naive_rp_released"].get<bool>()) << r.detail;
  EXPECT_EQ(r.evidence["forged_ark_subject"].get<std::string>(),
            psp::subject_line(testutil::rp_chip().ark()));
}

TEST(SnpRpAttacks, TcbRollbackIsRefusedAndSucceedsWithoutAMinimum) {
  expect_blocked(rp_tcb_rollback(lab()), "tcb");
  const RpAttackResult lax = rp_tcb_rollback(lab([] {
    auto p = testutil::rp_policy();
    p.min_tcb = testutil::old_tcb();
    return p;
  }));
  EXPECT_EQ(lax.verdict, Verdict::Succeeded) << lax.detail;
}

TEST(SnpRpAttacks, OtherImageIsRefusedByTheMeasurement) {
  expect_blocked(rp_other_image(lab()), "measurement");
  const RpAttackResult lax = rp_other_image(lab([] {
    auto p = testutil::rp_policy();
    p.expected_measurement = testutil::image_b();
    return p;
  }));
  // That relying party expects image B: the "other image" is its image, the control (image A)
  // fails, so the row is an Error, not a success.
  EXPECT_EQ(lax.verdict, Verdict::Error);
  EXPECT_FALSE(lax.control_released);
}

TEST(SnpRpAttacks, RegistryRunsEveryRowAndTheRequestRowsNeedALiveGuest) {
  const AttestationLab l = lab();  // reports from the rig: no live guest
  std::vector<RpAttackResult> rows;
  int need_live = 0;
  for (const auto& info : rp_attacks()) {
    EXPECT_NE(std::string(info.source), "");
    ASSERT_NE(info.run, nullptr) << info.name;
    const RpAttackResult r = info.run(l);
    EXPECT_EQ(r.attack, info.name);
    if (info.needs) {
      // ghcb-tamper and vmpl1-vmpck0: an Error saying so, never a verdict without a guest.
      ++need_live;
      EXPECT_EQ(r.verdict, Verdict::Error) << info.name;
      EXPECT_EQ(r.got, "no live guest");
      continue;
    }
    EXPECT_EQ(r.verdict, Verdict::Blocked) << info.name;
    rows.push_back(r);
  }
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(need_live, 2);
  const std::string table = render_rp_attacks_text(rows);
  EXPECT_NE(table.find("forged-report"), std::string::npos);
  EXPECT_EQ(table.find("YES"), std::string::npos) << table;
}

}  // namespace
}  // namespace cbit::attacks
