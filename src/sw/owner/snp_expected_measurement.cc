#include "sw/owner/snp_expected_measurement.h"

#include "common/error.h"
#include "psp/digest/snp_launch_digest.h"

namespace cbit::sw::owner {

using namespace cbit::psp::digest;

std::array<uint8_t, 48> expected_snp_measurement(const LaunchPlan& plan) {
  if (plan.mode != SevMode::Snp) throw InputError("expected measurement: not an SNP launch plan");
  constexpr uint64_t kPage = 4096;
  SnpLaunchDigest ld(plan.snp_seed.value_or(crypto::Sha384Digest{}));
  for (const LaunchStep& s : plan.steps) {
    for (uint64_t i = 0; i < s.pages; ++i) {
      const uint64_t gpa = s.repeat ? s.gpa : s.gpa + i * kPage;
      if (!page_type_measures_contents(s.page_type))
        ld.update_unmeasured(s.page_type, gpa);
      else
        ld.update_page(s.page_type, gpa, s.repeat ? s.data : s.data.subspan(i * kPage, kPage));
    }
  }
  return ld.digest();
}

}  // namespace cbit::sw::owner
