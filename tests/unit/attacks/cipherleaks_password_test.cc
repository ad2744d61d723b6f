// CipherLeaks against a real password check in an SEV-ES guest (attacks/cipherleaks_password.h;
// examples/guest/password_memcmp.c and password_ct.c): the hypervisor recovers the whole
// password from the memcmp version, one byte per round of guesses, from the #NPF exits on the
// two buffers; the constant-time version is the control: every guess gives the same exits and
// nothing is recovered.
#include "attacks/cipherleaks_password.h"

#include <gtest/gtest.h>

#include "testbed/sev_host.h"
#include "x86/elf_symbols.h"

namespace cbit::attacks {
namespace {

PasswordTarget target(const std::string& prog) {
  PasswordTarget t;
  t.program = sw::hv::guest_program(prog);
  t.typed_va = *x86::elf_symbol(t.program.elf, "typed");
  t.stored_va = *x86::elf_symbol(t.program.elf, "stored");
  t.alphabet = "ehnrtu24x";  // the password's letters and a decoy, to keep the runs few
  t.max_len = 8;
  return t;
}

TEST(CipherLeaksPassword, MemcmpGivesThePasswordAwayByteByByte) {
  testbed::SevHost h;
  const auto r = cipherleaks_password(h.attacker(), SevMode::SevEs, target("password_memcmp"));
  ASSERT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  EXPECT_EQ(r.evidence["recovered"].get<std::string>(), "hunter42");
  EXPECT_TRUE(r.evidence["granted"].get<bool>());
  // At the first position the right byte makes memcmp go one byte further: more exits.
  const auto& first = r.evidence["exits_per_position"][0];
  EXPECT_GT(first["h"].get<unsigned>(), first["e"].get<unsigned>()) << first.dump();
}

TEST(CipherLeaksPassword, ConstantTimeCompareGivesNothingAway) {
  testbed::SevHost h;
  const auto r = cipherleaks_password(h.attacker(), SevMode::SevEs, target("password_ct"));
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_EQ(r.evidence["recovered"].get<std::string>(), "");
  EXPECT_FALSE(r.evidence["granted"].get<bool>());
  // Every candidate: the same number of exits (and the compare does exit: the channel is open,
  // the program just does not leak through it).
  const auto& first = r.evidence["exits_per_position"][0];
  ASSERT_EQ(first.size(), 9u) << first.dump();  // every candidate tried
  const unsigned n = first["x"].get<unsigned>();
  EXPECT_GT(n, 16u) << first.dump();
  for (const auto& [c, v] : first.items()) EXPECT_EQ(v.get<unsigned>(), n) << c;
}

}  // namespace
}  // namespace cbit::attacks
