// Measured direct boot through the whole host stack: QEMU's launch sequence with a kernel,
// initrd and command line (the SEV hashes table written into guest RAM and measured by
// LAUNCH_UPDATE_DATA), for SEV and SEV-ES, each VMM type and several vCPU counts. The owner
// verifies the Secure Processor's LAUNCH_MEASURE against the digest psp/digest predicts (the
// module `cbit measure` uses and that was checked against sev-snp-measure). Debian's OVMF has no
// hashes table, so the firmware is a synthetic OVMF-like image with one.
#include <gtest/gtest.h>

#include <tuple>

#include "../psp/digest_test_util.h"
#include "hv_sev_rig.h"

// The parameters print as the modes' and VMM types' names (operator<< beside the enums,
// psp/digest/launch_plan.h and vmsa.h): ctest names carry them (test_names_test.cc).
namespace cbit::sw::hv::test {
namespace {

using psp::digest::SevMode;
using psp::digest::VmmType;

Bytes predicted(ByteSpan image, SevMode mode, uint64_t vcpus, VmmType vmm,
                const psp::digest::SevHashes& hashes) {
  const psp::digest::Ovmf ovmf(image, nullptr, "synthetic");
  psp::digest::LaunchConfig cfg;
  cfg.mode = mode;
  cfg.vcpus = mode == SevMode::Sev ? 0 : vcpus;
  cfg.vcpu_sig = mode == SevMode::Sev ? 0 : epyc_milan_sig();
  cfg.vmm = vmm;
  cfg.hashes = hashes;
  return tools::measure::measure(psp::digest::plan_launch(ovmf, cfg), false).digest;
}

class HvSevDirectBoot : public ::testing::TestWithParam<std::tuple<SevMode, VmmType, uint64_t>> {};

TEST_P(HvSevDirectBoot, OwnerVerifiesTheHashesTableLaunch) {
  const auto [mode, vmm, vcpus] = GetParam();
  const bool es = mode == SevMode::SevEs;
  HostRig r;
  testutil::SynthFirmware sf;
  sf.pages = 16;
  sf.sections = testutil::standard_sections();
  const Bytes image = testutil::build_firmware(sf);
  const Bytes kernel = testutil::filler(3 * 4096 + 17, 5), initrd = testutil::filler(999, 6);
  const auto hashes = psp::digest::SevHashes::from_contents(kernel, initrd, "console=ttyS0");

  SevGuestConfig cfg;
  cfg.mode = mode;
  cfg.vcpus = vcpus;
  cfg.policy = es ? 0x5 : 0x1;
  cfg.vcpu_sig = epyc_milan_sig();
  cfg.vmm = vmm;
  cfg.hashes = hashes;
  owner::SevGuestOwner owner(21, cfg.policy);
  SevGuestLaunch launch(r.kvm, cfg, image, "synthetic.fd");
  const Bytes measure = launch.launch_to_measure([&] {
    const auto b = owner.start_session(*r.fw().pdh_public());
    return std::optional<SevSessionBlobs>({b.dh_cert, b.session});
  });
  EXPECT_TRUE(
      owner.verify_measurement(measure, predicted(image, mode, vcpus, vmm, hashes), r.version()));
  // Control: another command line, or no hashes at all, predicts a digest that does not verify.
  const auto other = psp::digest::SevHashes::from_contents(kernel, initrd, "console=ttyS1");
  EXPECT_FALSE(
      owner.verify_measurement(measure, predicted(image, mode, vcpus, vmm, other), r.version()));
}

INSTANTIATE_TEST_SUITE_P(HvSev, HvSevDirectBoot,
                         ::testing::Values(std::make_tuple(SevMode::Sev, VmmType::Qemu, 1),
                                           std::make_tuple(SevMode::SevEs, VmmType::Qemu, 1),
                                           std::make_tuple(SevMode::SevEs, VmmType::Qemu, 3),
                                           std::make_tuple(SevMode::SevEs, VmmType::Ec2, 2),
                                           std::make_tuple(SevMode::SevEs, VmmType::Gce, 2)),
                         [](const auto& info) {
                           const SevMode mode = std::get<0>(info.param);
                           return std::string(mode == SevMode::Sev ? "Sev" : "SevEs") + "_" +
                                  psp::digest::vmm_type_name(std::get<1>(info.param)) + "_" +
                                  std::to_string(std::get<2>(info.param)) + "vcpu";
                         });

}  // namespace
}  // namespace cbit::sw::hv::test
