// QEMU's SEV-SNP launch of Debian's OVMF (sw/hv/snp_launch.h) over KVM's SNP VM, the host's SNP
// support and the simulated SNP firmware: the launch digest the firmware computed equals the one
// cbit measure predicts (1 and 4 vCPUs, two vCPU types); an ID block with the right digest is
// accepted and one with a wrong digest gets BAD_MEASUREMENT (control); private memory reads as
// zeros in the host's view; teardown gives every page back to the hypervisor.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <cerrno>
#include <filesystem>

#include "hv_sev_rig.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "psp/snp/id_block.h"
#include "sw/hv/snp_launch.h"
#include "tools/measure/measure.h"

namespace cbit::sw::hv::test {
namespace {

namespace digest = psp::digest;

struct SnpRig {
  SnpRig() {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("genoa");
    cfg.dram_bytes = 128ull << 20;
    cfg.firmware.snp = true;
    cfg.seed = 21;
    m = std::make_unique<hw::Machine>(cfg);
    k = std::make_unique<host::HostKernel>(*m, host::KernelConfig{});
    k->boot();
    dev = std::make_unique<host::SevDev>(*k, *m);
    kvm = std::make_unique<KvmSev>(*dev);
  }
  std::unique_ptr<hw::Machine> m;
  std::unique_ptr<host::HostKernel> k;
  std::unique_ptr<host::SevDev> dev;
  std::unique_ptr<KvmSev> kvm;
};

digest::LaunchConfig plan_cfg(uint64_t vcpus, const char* vcpu_type) {
  digest::LaunchConfig c;
  c.mode = digest::SevMode::Snp;
  c.vcpus = vcpus;
  c.vcpu_sig = *digest::vcpu_sig_by_name(vcpu_type);
  return c;
}

struct Case {
  uint64_t vcpus;
  const char* type;
};
// gtest prints a parameter it cannot print as its bytes (pointer bytes here), and ctest's test
// names carry that print: print the case instead, so the names are the same in every build.
void PrintTo(const Case& c, std::ostream* os) { *os << c.type << " x" << c.vcpus; }
class HvSnpLaunch : public ::testing::TestWithParam<Case> {};

TEST_P(HvSnpLaunch, FirmwareDigestEqualsCbitMeasure) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  const Bytes image = ovmf_image();
  const digest::Ovmf ovmf(image, nullptr, "OVMF.fd");
  const auto plan = digest::plan_launch(ovmf, plan_cfg(GetParam().vcpus, GetParam().type));
  const Bytes expected = tools::measure::measure(plan, false).digest;
  SnpRig r;
  SnpGuestLaunch l(*r.kvm, {}, plan, image, GuestPhysAddr(ovmf.gpa()), "OVMF.fd");
  l.launch();
  const auto ld = r.m->sev_firmware().snp_launch_digest(l.vm().gctx_paddr());
  ASSERT_TRUE(ld);
  EXPECT_EQ(Bytes(ld->begin(), ld->end()), expected);
  EXPECT_EQ(l.vcpus(), GetParam().vcpus);
  // guest_memfd: the firmware's pages are private; the hypervisor reads zeros there.
  Bytes fw(4096);
  l.memory().read(GuestPhysAddr(0xFFFFF000), fw);
  EXPECT_EQ(fw, Bytes(4096, 0));
  EXPECT_NE(ByteSpan(image).last(4096).front() | ByteSpan(image).last(4096)[0xff0], 0);
}

// Names from the case (EPYC_v4_1vcpu): stable between builds, unlike gtest's default bytes.
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = std::string(info.param.type) + "_" + std::to_string(info.param.vcpus) + "vcpu";
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Matrix, HvSnpLaunch,
                         ::testing::Values(Case{1, "EPYC-v4"}, Case{4, "EPYC-v4"},
                                           Case{1, "EPYC-Milan"}, Case{4, "EPYC-Milan"}),
                         case_name);

TEST(HvSnpLaunch, IdBlockWithTheRightDigestPassesAWrongOneIsBadMeasurement) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  const Bytes image = ovmf_image();
  const digest::Ovmf ovmf(image, nullptr, "OVMF.fd");
  const auto plan = digest::plan_launch(ovmf, plan_cfg(1, "EPYC-v4"));
  const Bytes expected = tools::measure::measure(plan, false).digest;
  psp::PkeyPtr key(EVP_EC_gen("P-384"));
  for (bool right : {true, false}) {
    psp::snp::IdBlock b;
    std::copy(expected.begin(), expected.end(), b.ld.begin());
    if (!right) b.ld[0] ^= 1;
    b.policy = 0x30000;
    const auto signed_block = psp::snp::snp_id_block_sign(b, key.get(), nullptr);
    SnpGuestConfig cfg;
    cfg.finish.id_block = signed_block.id_block;
    cfg.finish.id_auth = signed_block.id_auth;
    SnpRig r;
    SnpGuestLaunch l(*r.kvm, cfg, plan, image, GuestPhysAddr(ovmf.gpa()), "OVMF.fd");
    if (right) {
      EXPECT_NO_THROW(l.launch());
      continue;
    }
    try {
      l.launch();
      ADD_FAILURE() << "a wrong ID block digest was accepted";
    } catch (const KvmError& e) {
      EXPECT_EQ(e.op(), "KVM_SEV_SNP_LAUNCH_FINISH");
      EXPECT_EQ(e.ret(), -EIO);
      EXPECT_EQ(e.fw_error(), 0x0B);  // BAD_MEASUREMENT
      EXPECT_NE(std::string(e.what()).find("BAD_MEASUREMENT"), std::string::npos) << e.what();
    }
  }
}

TEST(HvSnpLaunch, TeardownGivesEveryPageBackAndPolicyChecksAreKvms) {
  if (!std::filesystem::exists(kOvmf)) GTEST_FAIL() << kOvmf << " is missing";
  const Bytes image = ovmf_image();
  const digest::Ovmf ovmf(image, nullptr, "OVMF.fd");
  const auto plan = digest::plan_launch(ovmf, plan_cfg(2, "EPYC-v4"));
  SnpRig r;
  std::vector<SysPhysAddr> pages;
  {
    SnpGuestLaunch l(*r.kvm, {}, plan, image, GuestPhysAddr(ovmf.gpa()), "OVMF.fd");
    l.sev_snp_kvm_init();
    int error = 0;
    // KVM refuses a policy without bit 17, with SINGLE_SOCKET, or with flags (control: 0x30000
    // is accepted below).
    EXPECT_EQ(l.vm().snp_launch_start(0x10000, {}, 0, &error), -EINVAL);
    EXPECT_EQ(l.vm().snp_launch_start(0x130000, {}, 0, &error), -EINVAL);
    EXPECT_EQ(l.vm().snp_launch_start(0x30000, {}, 1, &error), -EINVAL);
    l.sev_snp_launch_start();
    run_launch_plan(plan, l.commands());
    l.sev_snp_launch_finish();
    for (const auto& s : l.memory().slots())
      for (uint64_t off = 0; off < s.size; off += 4096) {
        const auto e = r.m->rmp().table().read(s.spa + off);
        if (e.assigned) pages.push_back(s.spa + off);
      }
    EXPECT_GE(pages.size(), 512u);  // the 2 MiB firmware at least
  }
  for (const auto& p : pages) EXPECT_FALSE(r.m->rmp().table().read(p).assigned) << p.value;
  EXPECT_EQ(r.k->snp().leaked_pages(), 0u);
}

}  // namespace
}  // namespace cbit::sw::hv::test
