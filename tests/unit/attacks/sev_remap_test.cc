// SEVered-style remapping of a nested PTE: works in every mode (no integrity on mappings before
// SEV-SNP's RMP).
#include <gtest/gtest.h>

#include "attacks/npt_remap.h"
#include "testbed/sev_host.h"

namespace cbit::attacks {
namespace {

TEST(SevAttack, NptRemapLeaksPageAInEveryMode) {
  for (SevMode m : {SevMode::None, SevMode::Sev, SevMode::SevEs}) {
    testbed::SevHost h;
    const auto r = npt_remap(h.attacker(), m);
    EXPECT_EQ(r.verdict, Verdict::Succeeded) << mode_flag(m) << ": " << r.detail;
    // Control: before the remap the channel hands out the public page, not the secret.
    EXPECT_EQ(r.evidence["shared_page_before_remap"].get<std::string>().rfind("PUBLIC-B", 0), 0u);
    EXPECT_EQ(r.evidence["shared_page_after_remap"].get<std::string>().rfind("SECRET-A", 0), 0u);
    EXPECT_EQ(r.evidence["requests_served"].get<int>(), 2);
  }
}

}  // namespace
}  // namespace cbit::attacks
