// CacheWarp: on a part without the microcode fix (rome; milan with cachewarp-fix=0) the guest
// reads its dropped write's older value in every mode; with the fix (milan, genoa) the
// hypervisor's WRMSR cannot clear HWCR[4] and the guest keeps its write (the control).
#include "attacks/cachewarp.h"

#include <gtest/gtest.h>

#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(CacheWarp, InvdDropsTheGuestsWriteWithoutTheFix) {
  for (SevMode m : {SevMode::None, SevMode::Sev, SevMode::SevEs}) {
    testbed::SevHost h({"rome", 1});
    const auto r = cachewarp(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["guest_before_invd"].get<std::string>(), "uid=1000");
    EXPECT_EQ(r.evidence["guest_after_invd"].get<std::string>(), "uid=0");
    EXPECT_TRUE(r.evidence["invdwbinvd_cleared"].get<bool>());
  }
}

TEST(CacheWarp, TheMicrocodeFixKeepsTheWrite) {
  for (SevMode m : {SevMode::None, SevMode::SevEs}) {
    testbed::SevHost h({"milan", 1});
    const auto r = cachewarp(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Blocked) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["guest_after_invd"].get<std::string>(), "uid=1000");
    EXPECT_FALSE(r.evidence["invdwbinvd_cleared"].get<bool>());
  }
}

TEST(CacheWarp, SnpDoesNotStopItOnlyTheMicrocodeDoes) {
  testbed::SevHostOptions o;
  o.cpu = "milan";
  o.cpu_overrides = {"cachewarp-fix=0"};  // Milan before AMD-SB-3005's microcode
  testbed::SevHost h(o);
  const auto r = cachewarp(h.attacker(), SevMode::Snp);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  testbed::SevHost fixed({"milan", 1});
  EXPECT_EQ(cachewarp(fixed.attacker(), SevMode::Snp).verdict, Verdict::Blocked);
}

}  // namespace
}  // namespace cbit::attacks
