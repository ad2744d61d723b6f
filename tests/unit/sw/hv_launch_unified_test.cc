// The one launch sequence (sw/hv/launch_sequence.h) with Debian's real OVMF under SEV-SNP: the
// VMM's path (SnpGuestLaunch, `cbit launch --mode snp`) and Vm::launch place the SNP metadata
// pages (SECRETS, CPUID, SEC_MEM) the same way and hand the guest the same CC blob; the digest
// the firmware computed equals `cbit measure`'s; the RMP states after LAUNCH_FINISH are the
// spec's (metadata pages Guest-Valid for the ASID, the guest context a firmware Context page,
// each VMSA assigned with RMP.VMSA), and the first VMRUN's VMSA check (APM Table 15-41) passes
// for the BSP's VMSA and fails for a page without RMP.VMSA or of another ASID (controls).
// Skipped, with the reason printed, where /usr/share/ovmf/OVMF.fd is absent.
#include <gtest/gtest.h>

#include <filesystem>

#include "hv_sev_rig.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_check.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/ovmf.h"
#include "psp/digest/vcpu_types.h"
#include "sw/hv/snp_launch.h"
#include "tools/measure/measure.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::hv::test {
namespace {

namespace digest = psp::digest;
using hw::rmp::PageState;
using hw::rmp::rmp_entry_get_state;

struct Host {
  Host() {
    hw::MachineConfig cfg;
    cfg.cpu = hw::cpu_model_by_name("milan");
    cfg.dram_bytes = 128ull << 20;
    cfg.firmware.snp = true;
    cfg.seed = 9;
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

#define REQUIRE_REAL_OVMF()                                                \
  if (!std::filesystem::exists(kOvmf)) {                                   \
    std::printf("skipped: %s is absent (Debian's ovmf package)\n", kOvmf); \
    GTEST_SKIP() << kOvmf << " is absent";                                 \
  }

digest::LaunchPlan snp_plan(const digest::Ovmf& ovmf, uint64_t vcpus) {
  digest::LaunchConfig c;
  c.mode = digest::SevMode::Snp;
  c.vcpus = vcpus;
  c.vcpu_sig = *digest::vcpu_sig_by_name("EPYC-v4");
  return digest::plan_launch(ovmf, c);
}

TEST(HvLaunchUnified, SnpOvmfDigestMetadataPagesAndVmsasInTheRmp) {
  REQUIRE_REAL_OVMF();
  const Bytes image = ovmf_image();
  const digest::Ovmf ovmf(image, nullptr, "OVMF.fd");
  const auto plan = snp_plan(ovmf, 3);
  Host h;
  SnpGuestLaunch l(*h.kvm, {}, plan, image, GuestPhysAddr(ovmf.gpa()), "OVMF.fd");
  l.launch();
  // The digest: the firmware's equals cbit measure's for the same plan.
  const auto ld = h.m->sev_firmware().snp_launch_digest(l.vm().gctx_paddr());
  ASSERT_TRUE(ld);
  const Bytes want = tools::measure::measure(plan, false).digest;
  EXPECT_EQ(to_hex(*ld), to_hex(want));
  // The CC blob names the SECRETS and CPUID pages of OVMF's metadata.
  const SnpCcBlob blob = l.snp_cc_blob();
  ASSERT_TRUE(blob.secrets_page && blob.cpuid_page);
  EXPECT_NE(blob.secrets_page->value, blob.cpuid_page->value);
  EXPECT_GE(blob.validated.size(), 3u);  // SEC_MEM, SECRETS, CPUID at least
  const auto& rmp = h.m->rmp().table();
  const unsigned asid = l.vm().asid();
  for (const auto& [gpa, bytes] : blob.validated)
    for (uint64_t off = 0; off < bytes; off += kPageSize) {
      const auto spa = l.memory().gpa_to_spa(GuestPhysAddr(gpa.value + off));
      ASSERT_TRUE(spa);
      const auto e = rmp.read(*spa);
      EXPECT_EQ(rmp_entry_get_state(e), PageState::GuestValid) << std::hex << gpa.value + off;
      EXPECT_EQ(e.asid, asid);
      EXPECT_FALSE(e.vmsa);
      // Control: a metadata page is no VMSA, so VMRUN would refuse it.
      EXPECT_FALSE(hw::rmp::vmrun_vmsa_ok(rmp, *spa, asid));
    }
  // The guest context: a firmware page (its address as the firmware sees it, C-bit stripped).
  const SysPhysAddr gctx(l.vm().gctx_paddr() & 0x00007FFFFFFFF000ull);
  EXPECT_EQ(rmp_entry_get_state(rmp.read(gctx)), PageState::Context);
  // The VMSAs: one per vCPU, assigned to the ASID with RMP.VMSA; the BSP's passes VMRUN's check,
  // not for another ASID (control).
  ASSERT_EQ(l.vmsa_pages().size(), 3u);
  for (VirtAddr v : l.vmsa_pages()) {
    const SysPhysAddr spa = h.k->__pa(v);
    const auto e = rmp.read(spa);
    EXPECT_TRUE(e.assigned && e.vmsa) << std::hex << spa.value;
    EXPECT_EQ(e.asid, asid);
    EXPECT_TRUE(hw::rmp::vmrun_vmsa_ok(rmp, spa, asid));
    EXPECT_FALSE(hw::rmp::vmrun_vmsa_ok(rmp, spa, asid + 1));
  }
  // SNP_GUEST_STATUS: RUNNING after LAUNCH_FINISH.
  uint8_t state = 0xff;
  int error = 0;
  ASSERT_EQ(l.vm().snp_guest_status(nullptr, nullptr, &state, &error), 0) << error;
  EXPECT_EQ(state, 2);
}

TEST(HvLaunchUnified, VmLaunchAndTheVmmPathPlaceTheSameSnpMetadataPages) {
  REQUIRE_REAL_OVMF();
  const Bytes image = ovmf_image();
  const digest::Ovmf ovmf(image, nullptr, "OVMF.fd");
  const auto plan = snp_plan(ovmf, 1);
  Host h;
  SnpGuestLaunch l(*h.kvm, {}, plan, image, GuestPhysAddr(ovmf.gpa()), "OVMF.fd");
  l.launch();
  const SnpCcBlob vmm = l.snp_cc_blob();
  guest::test::SnpGuestVm g(SevMode::Snp, {}, 1, image);
  const SnpCcBlob vm = g.vm->snp_cc_blob();
  ASSERT_TRUE(vm.secrets_page && vm.cpuid_page);
  EXPECT_EQ(vm.secrets_page->value, vmm.secrets_page->value);
  EXPECT_EQ(vm.cpuid_page->value, vmm.cpuid_page->value);
  ASSERT_EQ(vm.validated.size(), vmm.validated.size());
  for (size_t i = 0; i < vm.validated.size(); ++i) {
    EXPECT_EQ(vm.validated[i].first.value, vmm.validated[i].first.value);
    EXPECT_EQ(vm.validated[i].second, vmm.validated[i].second);
  }
  // In Vm's RMP too: the SECRETS page Guest-Valid for the VM's ASID, the BSP's VMSA runnable.
  const auto& rmp = g.host.m.rmp().table();
  const auto spa = g.vm->memory().gpa_to_spa(*vm.secrets_page);
  ASSERT_TRUE(spa);
  EXPECT_EQ(rmp_entry_get_state(rmp.read(*spa)), PageState::GuestValid);
  EXPECT_TRUE(hw::rmp::vmrun_vmsa_ok(rmp, g.host.k.__pa(*g.vm->vcpu(0).vmsa()), g.vm->asid()));
}

}  // namespace
}  // namespace cbit::sw::hv::test
