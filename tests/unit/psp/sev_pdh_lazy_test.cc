// SEV INIT's platform Diffie-Hellman key (ASPFW sev_pdh_generate): INIT draws its 48-byte seed
// from the Secure Processor's "sev-pdh" stream, the P-384 key is derived from it on first use
// (an SNP-only launch never needs it). The key must be the one of the INIT that made it, not of
// the first use: INIT, SHUTDOWN, INIT with no use in between gives the second draw's key.
#include <gtest/gtest.h>

#include "crypto/drbg.h"
#include "psp/certs/sim_chain.h"
#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint64_t kSeed = 4242;

// The public PDH of the n-th INIT (0-based) of a Secure Processor seeded with kSeed.
CertPubkey nth_pdh(int n) {
  crypto::Drbg rng(kSeed);
  Bytes seed(48);
  for (int i = 0; i <= n; ++i) rng.generate(SevFirmware::kPdhLabel, seed);
  const auto key = ::cbit::psp::p384_key_from_seed(seed);
  return public_key_of(key.get());
}

bool same(const CertPubkey& a, const CertPubkey& b) { return a.qx == b.qx && a.qy == b.qy; }

TEST(SevPdhLazy, KeyIsTheOneDrawnAtInitEvenWhenFirstUsedLater) {
  Rig r(kSeed);
  EXPECT_FALSE(r.fw.pdh_public().has_value());  // UNINIT: no key
  r.init();
  ASSERT_EQ(r.cmd(SevCmd::Shutdown), SevStatus::Success);
  EXPECT_FALSE(r.fw.pdh_public().has_value());  // SHUTDOWN forgot the unused seed
  r.init();
  const auto pdh = r.fw.pdh_public();  // first use, after the second INIT
  ASSERT_TRUE(pdh.has_value());
  EXPECT_TRUE(same(*pdh, nth_pdh(1)));
  EXPECT_FALSE(same(*pdh, nth_pdh(0)));  // control: a draw at first use would give this one
  // Asking again derives nothing new.
  EXPECT_TRUE(same(*r.fw.pdh_public(), *pdh));
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
