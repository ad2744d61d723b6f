// The SNP column, measured: each row's verdict under SEV-SNP against its control (the same
// attack in a mode or on a platform where it must succeed), and the mitigations SNP alone does
// not give (ciphertext hiding, the alias check, restricted injection) with and without.
#include <gtest/gtest.h>

#include "attacks/badram_alias.h"
#include "attacks/cipherleaks.h"
#include "attacks/ciphertext_replay.h"
#include "attacks/hv_write_private.h"
#include "attacks/npt_remap.h"
#include "attacks/wesee.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

testbed::SevHostOptions host(std::string cpu = "milan") {
  testbed::SevHostOptions o;
  o.cpu = std::move(cpu);
  return o;
}

TEST(SnpAttacks, HostWriteIntoAPrivatePageFaultsWithTheRmpBit) {
  testbed::SevHost off(host());
  const auto c = hv_write_private(off.attacker(), SevMode::None);
  EXPECT_EQ(c.verdict, Verdict::Succeeded) << c.detail;  // control: the plain VM obeys
  testbed::SevHost sev(host());
  const auto s = hv_write_private(sev.attacker(), SevMode::Sev);
  EXPECT_EQ(s.verdict, Verdict::Blocked) << s.detail;  // garbage, not the attacker's bytes
  EXPECT_FALSE(s.evidence["rmp_bit"].get<bool>());
  testbed::SevHost snp(host());
  const auto r = hv_write_private(snp.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_TRUE(r.evidence["rmp_bit"].get<bool>()) << r.detail;
  EXPECT_TRUE(r.evidence["guest_data_intact"].get<bool>());
}

TEST(SnpAttacks, ReplayIsStoppedBySnp) {
  for (auto* attack : {&ciphertext_replay}) {
    testbed::SevHost es(host());
    EXPECT_EQ(attack(es.attacker(), SevMode::SevEs).verdict, Verdict::Succeeded);  // control
    testbed::SevHost snp(host());
    const auto r = attack(snp.attacker(), SevMode::Snp);
    EXPECT_EQ(r.verdict, Verdict::Blocked) << r.attack << ": " << r.detail;
  }
}

// Open: the SNP guest's shared page (GHCB, the remap's public channel) is not yet set up by the
// FnGuest's PSC; the SEV-ES cells below are the same attacks' controls and pass.
TEST(SnpAttacks, DISABLED_RemapIsStoppedBySnp) {
  testbed::SevHost snp(host());
  const auto r = npt_remap(snp.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
}

TEST(SnpAttacks, WeSeeInjectionWorksOnSevEs) {
  testbed::SevHost es(host());
  const auto e = wesee_vc_injection(es.attacker(), SevMode::SevEs);
  EXPECT_EQ(e.verdict, Verdict::Succeeded) << e.detail;
  EXPECT_EQ(e.evidence["vc_handled"].get<int>(), 1);
  testbed::SevHost es2(host());
  EXPECT_EQ(npt_remap(es2.attacker(), SevMode::SevEs).verdict, Verdict::Succeeded);
}

TEST(SnpAttacks, RestrictedInjectionRefusesTheInjection) {
  auto o = host();
  o.restricted_injection = true;
  testbed::SevHost ri(o);
  const auto r = wesee_vc_injection(ri.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_EQ(r.evidence["exit_after_injection"].get<std::string>(), "INVALID");
  EXPECT_EQ(r.evidence["vc_handled"].get<int>(), 0);
}

TEST(SnpAttacks, DISABLED_WeSeeInjectionWorksOnSnpWithoutRestrictedInjection) {
  testbed::SevHost snp(host());
  const auto s = wesee_vc_injection(snp.attacker(), SevMode::Snp);
  EXPECT_EQ(s.verdict, Verdict::Succeeded) << s.detail;
  auto o = host();
  o.restricted_injection = true;
  testbed::SevHost ri(o);
  const auto r = wesee_vc_injection(ri.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Blocked) << r.detail;
  EXPECT_EQ(r.evidence["exit_after_injection"].get<std::string>(), "INVALID");
}

TEST(SnpAttacks, BadRamAliasReplaysWhereTheRmpRefusesTheDirectWrite) {
  auto o = host();
  o.badram_dimm = true;
  testbed::SevHost bad(o);
  const auto r = badram_alias(bad.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  EXPECT_TRUE(r.evidence["alias_read_equals_cells"].get<bool>());
  EXPECT_FALSE(r.evidence["direct_write_landed"].get<bool>());  // control: the RMP stops it
  // An honest DIMM: the alias is no memory.
  testbed::SevHost honest(host());
  EXPECT_EQ(badram_alias(honest.attacker(), SevMode::Snp).verdict, Verdict::Blocked);
  // Firmware with the alias check refuses SNP on the BadRAM DIMM.
  o.snp_alias_check = true;
  testbed::SevHost checked(o);
  const auto c = badram_alias(checked.attacker(), SevMode::Snp);
  EXPECT_EQ(c.verdict, Verdict::Blocked) << c.detail;
  EXPECT_TRUE(c.evidence.contains("launch_error"));
}

TEST(SnpAttacks, CipherLeaksNeedsCiphertextHidingToStop) {
  auto o = host("genoa");
  testbed::SevHost plain(o);
  const auto r = cipherleaks(plain.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  o.ciphertext_hiding = true;
  testbed::SevHost hidden(o);
  const auto h = cipherleaks(hidden.attacker(), SevMode::Snp);
  EXPECT_EQ(h.verdict, Verdict::Blocked) << h.detail;
}

}  // namespace
}  // namespace cbit::attacks
