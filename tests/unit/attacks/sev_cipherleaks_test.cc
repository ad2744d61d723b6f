// CipherLeaks: under SEV-ES the VMSA's ciphertext at one address gives the RAX bits away; under
// off and SEV RAX is simply readable. Control: another VMSA's ciphertext for the same value is
// different.
#include <gtest/gtest.h>

#include "attacks/cipherleaks.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, CipherLeaksOffAndSevReadRaxDirectly) {
  for (SevMode m : {SevMode::None, SevMode::Sev}) {
    testbed::SevHost h;
    const auto r = cipherleaks(h.attacker(), m, 0x5A5AF00D);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["method"].get<std::string>(), "RAX via KVM_GET_REGS");
    EXPECT_EQ(r.evidence["recovered"].get<std::string>(), "0x5a5af00d");
  }
}

TEST(SevAttack, CipherLeaksSevEsRecoversEveryBitFromCiphertext) {
  for (uint64_t secret : {0xC0DEB5A3ull, 0x00000001ull}) {
    testbed::SevHost h;
    const auto r = cipherleaks(h.attacker(), SevMode::SevEs, secret);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
    EXPECT_EQ(r.evidence["method"].get<std::string>(), "VMSA ciphertext compare");
    EXPECT_EQ(r.evidence["bits_recovered"].get<unsigned>(), kCipherLeaksBits);
    EXPECT_EQ(r.evidence["distinct_ciphertexts"].get<unsigned>(), 2u);
    // Control: the same RAX in another VMSA (other address, other key) encrypts differently.
    EXPECT_FALSE(r.evidence["control_same_ciphertext"].get<bool>());
    EXPECT_NE(r.evidence["control_other_vmsa_rax0"], r.evidence["ciphertext_rax0"]);
  }
}

TEST(SevAttack, CipherLeaksSevEsAtProvokedNestedPageFaults) {
  // The guest never exits on its own: the hypervisor makes every step fault.
  testbed::SevHost h;
  const auto r = cipherleaks(h.attacker(), SevMode::SevEs, 0x9E3779B9, CipherLeaksExit::Npf);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  EXPECT_EQ(r.evidence["exit"].get<std::string>(), "#NPF");
  EXPECT_EQ(r.evidence["exits_observed"].get<unsigned>(), kCipherLeaksBits + 1);
  EXPECT_EQ(r.evidence["recovered"].get<std::string>(), "0x9e3779b9");
  EXPECT_FALSE(r.evidence["control_same_ciphertext"].get<bool>());
}

TEST(SevAttack, CipherLeaksSevEsNeedsSevEsHardware) {
  // Naples has no SEV-ES: the attack reports that it cannot run (no verdict invented).
  testbed::SevHost h({"naples", 1});
  EXPECT_THROW(cipherleaks(h.attacker(), SevMode::SevEs), std::runtime_error);
}

}  // namespace
}  // namespace cbit::attacks
