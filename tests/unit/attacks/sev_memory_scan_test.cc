// The hypervisor scans guest RAM through its own mapping: a plain VM's secret is there, an SEV or
// SEV-ES guest's private page reads as garbage.
#include <gtest/gtest.h>

#include "attacks/hv_memory_scan.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, MemoryScanOffFindsTheSecret) {
  testbed::SevHost h;
  const auto r = hv_memory_scan(h.attacker(), SevMode::None);
  EXPECT_EQ(r.verdict, Verdict::Succeeded) << r.detail;
  EXPECT_GE(r.evidence["hits"].get<int>(), 1);
  EXPECT_TRUE(r.evidence["guest_reads_its_secret"].get<bool>());
}

TEST(SevAttack, MemoryScanSevAndSevEsSeeGarbage) {
  for (SevMode m : {SevMode::Sev, SevMode::SevEs}) {
    testbed::SevHost h;
    const auto r = hv_memory_scan(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Blocked) << mode_flag(m) << ": " << r.detail;
    EXPECT_EQ(r.evidence["hits"].get<int>(), 0);
    // Control inside the same run: the guest itself reads its secret back.
    EXPECT_TRUE(r.evidence["guest_reads_its_secret"].get<bool>());
    EXPECT_EQ(r.evidence["bytes_scanned"].get<uint64_t>(), 8ull << 20);
  }
}

}  // namespace
}  // namespace cbit::attacks
