// DMA into a guest's private page: the secret and a working write on a plain VM; ciphertext and
// garbage under SEV and SEV-ES.
#include <gtest/gtest.h>

#include "attacks/dma_private.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, DmaOffReadsTheSecretAndInjects) {
  testbed::SevHost h;
  const auto r = dma_private(h.attacker(), SevMode::None);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  EXPECT_TRUE(r.evidence["read_found_secret"].get<bool>());
  EXPECT_TRUE(r.evidence["guest_got_attacker_bytes"].get<bool>());
  // Without the C-bit even the plain VM's page is host-key ciphertext (SME), not the secret.
  EXPECT_NE(r.evidence["dma_read_without_cbit"], r.evidence["dma_read_with_cbit"]);
}

TEST(SevAttack, DmaSevAndSevEsGetCiphertextAndInjectGarbage) {
  for (SevMode m : {SevMode::Sev, SevMode::SevEs}) {
    testbed::SevHost h;
    const auto r = dma_private(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Blocked) << mode_flag(m) << ": " << r.detail;
    EXPECT_FALSE(r.evidence["read_found_secret"].get<bool>());
    EXPECT_FALSE(r.evidence["guest_got_attacker_bytes"].get<bool>());
  }
}

}  // namespace
}  // namespace cbit::attacks
