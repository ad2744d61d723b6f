// The SNP firmware's launch digest equals `cbit measure`'s: the pages launch_plan.cc plans for an
// OVMF image go through SNP_LAUNCH_UPDATE one by one (each GPA to its own system page, the RMP
// set by the host first as KVM's sev_gmem_post_populate does), and the digest the firmware
// accepts at LAUNCH_FINISH (an ID block carrying it passes; one bit off gives BAD_MEASUREMENT)
// is the one tools/measure computes for the same plan.
#include <gtest/gtest.h>

#include "digest_test_util.h"
#include "psp/certs/sim_chain.h"
#include "psp/digest/launch_plan.h"
#include "snp_rig.h"
#include "tools/measure/measure.h"

namespace cbit::hw::psp::sev::test {
namespace {

using namespace ::cbit::psp::digest;

// Feeds the plan through the firmware; returns LAUNCH_FINISH's status for an ID block with `ld`.
SevStatus launch_plan_through_firmware(SnpRig& r, const LaunchPlan& plan, Bytes ld) {
  uint64_t next = kGuest;
  for (const LaunchStep& s : plan.steps) {
    for (uint64_t i = 0; i < s.pages; ++i) {
      const uint64_t gpa = s.repeat ? s.gpa : s.gpa + i * kPageSize;
      Bytes page(kPageSize, 0);
      if (page_type_measures_contents(s.page_type))
        std::copy_n(s.data.begin() + (s.repeat ? 0 : i * kPageSize), kPageSize, page.begin());
      r.host_write(next, page);  // CPUID: an empty table (count 0)
      r.make_private(next, gpa, kSnpAsid);
      const SevStatus st = r.launch_update(next, static_cast<SnpPageType>(s.page_type));
      if (st != SevStatus::Success) return st;
      next += kPageSize;
    }
  }
  Bytes ib(kIdBlockSize, 0);
  std::copy(ld.begin(), ld.end(), ib.begin());
  store_le(ib.data() + kIdBlockPolicy, kSnpPolicyQemuDefault);
  auto key = ::cbit::psp::p384_key_from_seed(Bytes(48, 4));
  r.host_write(0x50000, ib);
  r.host_write(0x51000, make_id_auth(ib, key.get(), nullptr));
  return r.cmd(SevCmd::SnpLaunchFinish, SnpRig::finish_buf(1, 0x50000 | r.c(), 0x51000 | r.c()));
}

class SnpFirmwareDigest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SnpFirmwareDigest, EqualsCbitMeasureForTheSamePlan) {
  testutil::SynthFirmware fwimg;
  fwimg.sections = testutil::standard_sections();
  const Ovmf ovmf(testutil::build_firmware(fwimg), "fw");
  LaunchConfig cfg;
  cfg.vcpus = GetParam();
  cfg.vcpu_sig = 0xA00F11;
  const LaunchPlan plan = plan_launch(ovmf, cfg);
  const auto m = tools::measure::measure(plan, false);
  ASSERT_EQ(m.digest.size(), 48u);

  SnpRig ok;
  ok.launching_guest();
  EXPECT_EQ(launch_plan_through_firmware(ok, plan, m.digest), SevStatus::Success);

  SnpRig off;  // control: the same launch, an ID block one bit away
  off.launching_guest();
  Bytes wrong = m.digest;
  wrong[47] ^= 1;
  EXPECT_EQ(launch_plan_through_firmware(off, plan, wrong), SevStatus::BadMeasurement);
}

INSTANTIATE_TEST_SUITE_P(Vcpus, SnpFirmwareDigest, ::testing::Values(1, 4),
                         [](const auto& info) { return std::to_string(info.param) + "vcpu"; });

}  // namespace
}  // namespace cbit::hw::psp::sev::test
