// Ciphertext replay of a private page: the guest reads its old value in every mode; the same
// ciphertext at another frame decrypts to garbage (the address tweak), and the guest really did
// see its update before the replay.
#include <gtest/gtest.h>

#include "attacks/ciphertext_replay.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, ReplayRestoresTheOldBalanceInEveryMode) {
  for (SevMode m : {SevMode::None, SevMode::Sev, SevMode::SevEs}) {
    testbed::SevHost h;
    const auto r = ciphertext_replay(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["guest_after_update"].get<std::string>(), "balance=0");
    EXPECT_EQ(r.evidence["guest_after_replay"].get<std::string>(), "balance=100");
    EXPECT_NE(r.evidence["ciphertext_saved"], r.evidence["ciphertext_after_update"]);
    // Control: the saved bytes moved to another frame are not the old record.
    EXPECT_FALSE(r.evidence["other_frame_decrypts_to_old"].get<bool>());
  }
}

}  // namespace
}  // namespace cbit::attacks
