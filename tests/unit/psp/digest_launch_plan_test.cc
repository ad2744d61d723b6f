// The SNP launch plan's page budget: metadata that declares more page updates than 32-bit GPAs
// and sizes can address (so some page twice) is refused before any page is hashed; found by
// fuzz_ovmf (an image of 4 KiB declaring 3.2 GiB of pages took seconds per digest).
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "unit/psp/digest_test_util.h"

namespace cbit::psp::digest {
namespace {

using testutil::build_firmware;
using testutil::SynthFirmware;

Ovmf image_with_big_sections(int n) {
  SynthFirmware s;
  s.sections = testutil::standard_sections();
  // SNP_SEC_MEM sections of almost 4 GiB each, one after the other from 16 MiB: overlapping
  // from the second on, as only a hostile image would be.
  for (int i = 0; i < n; ++i) s.sections.push_back({0x1000000, 0xFFFFF000u, 1});
  return Ovmf(build_firmware(s), "fw");
}

uint64_t total_pages(const LaunchPlan& p) {
  uint64_t n = 0;
  for (const auto& s : p.steps) n += s.pages;
  return n;
}

TEST(DigestLaunchPlan, SnpMetadataBeyondWhatGpasAddressIsRefused) {
  LaunchConfig cfg;  // SNP
  const Ovmf three = image_with_big_sections(3);
  try {
    plan_launch(three, cfg);
    FAIL() << "3 x 4 GiB of SNP_SEC_MEM was planned";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("update some page twice"), std::string::npos) << e.what();
  }
  // Control: one such section is within what 32-bit GPAs reach, and is planned page by page.
  const LaunchPlan one = plan_launch(image_with_big_sections(1), cfg);
  EXPECT_GT(total_pages(one), 0xFFFFFu);
  // SEV and SEV-ES do not measure the metadata: the same image plans.
  cfg.mode = SevMode::SevEs;
  EXPECT_NO_THROW(plan_launch(three, cfg));
}

}  // namespace
}  // namespace cbit::psp::digest
