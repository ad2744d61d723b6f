// The SEV-SNP guest kernel's checks that do not need an SNP-active vCPU (SNP-FACTS.md §5,
// docs/guest.md "SEV-SNP"): a guest handed a CC blob whose CPUID page is not a table it can
// trust terminates with GHCB_TERM_CPUID before it asks the hypervisor anything (control: the
// same guest without the blob boots), and a hypervisor refuses the SNP NAE events for a VM that
// is not SNP (control: the same VMGEXIT's SEV-ES events are answered).
#include <gtest/gtest.h>

#include <memory>

#include "hw/svm/vmcb.h"
#include "sw/ghcb/ghcb.h"
#include "sw/ghcb/psc.h"
#include "sw/guest/kernel.h"
#include "sw/hv/vm.h"
#include "unit/sw/hv_vm_rig.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
namespace ec = hw::svm::exit_code;
namespace mp = ghcb::msr_proto;

constexpr uint64_t kRam = 16ull << 20;

struct EsVm {
  explicit EsVm(GuestKernelConfig kc) : host(true), k(std::move(kc)) {
    hv::VmConfig cfg;
    cfg.mode = SevMode::SevEs;
    cfg.ram_bytes = kRam;
    cfg.policy = 0x4;
    vm = std::make_unique<hv::Vm>(host.m, host.k, &host.kvm, cfg);
    EXPECT_EQ(vm->launch(nullptr).rc, 0);
  }
  hv::test::VmHost host;
  std::unique_ptr<hv::Vm> vm;
  GuestKernel k;
};

GuestKernelConfig config(bool cc_blob) {
  GuestKernelConfig c;
  c.ram_bytes = kRam;
  // OVMF's CPUID page GPA; never launched here, so the guest reads its key's decryption of
  // whatever the host left: not a table.
  if (cc_blob) c.snp_cpuid_page = GuestPhysAddr(0x80E000);
  return c;
}

TEST(SnpGuest, UntrustworthyCpuidPageTerminatesWithGhcbTermCpuid) {
  EsVm g(config(true));
  const auto exit = g.vm->run(g.k);
  EXPECT_NE(exit.code, ec::kHlt);
  EXPECT_FALSE(g.k.booted());
  ASSERT_TRUE(g.k.termination().has_value());
  EXPECT_EQ(*g.k.termination(),
            std::make_pair(ghcb::msr_proto::kTermSetLinux, ghcb::msr_proto::kTermLinuxCpuid));
  EXPECT_EQ(g.k.snp_cpuid_count(), 0u);
  // The only thing the hypervisor heard was the termination request: no CPUID was asked.
  const auto& vg = g.vm->vcpu().vmgexits();
  EXPECT_EQ(vg.count(mp::kCpuidReq), 0u);
  EXPECT_EQ(vg.at(mp::kTermReq), 1u);
}

TEST(SnpGuest, ControlWithoutCcBlobTheGuestBoots) {
  EsVm g(config(false));
  EXPECT_EQ(g.vm->run(g.k).code, ec::kHlt);
  EXPECT_TRUE(g.k.booted());
  EXPECT_FALSE(g.k.termination().has_value());
  EXPECT_FALSE(g.k.sev_snp_active());
  EXPECT_EQ(g.k.sev_hv_features(), 0u);  // HV_FEATURES is asked only by an SNP guest
}

TEST(SnpGuest, NonSnpHypervisorRefusesThePscEvent) {
  EsVm g(config(false));
  std::pair<uint64_t, uint64_t> psc{}, ok{};
  g.k.queue([&](GuestKernel& k) {
    ghcb::PscEntry e;
    e.gfn = 0x200;
    e.operation = static_cast<uint8_t>(ghcb::PscOp::Shared);
    Bytes b = ghcb::PscBuffer::make({e}).serialize();
    psc = k.vmgexit_psc_raw(b);
    // Control: the same GHCB, an event this VM has (CPUID through the GHCB), is answered.
    ok.first = k.cpuid(0).eax;
  });
  EXPECT_EQ(g.vm->run(g.k).code, ec::kHlt);
  ASSERT_TRUE(g.k.booted());
  EXPECT_EQ(psc.first & 0xffffffffu, ghcb::ghcb_err::kExitInfo1Error);
  EXPECT_EQ(psc.second, ghcb::ghcb_err::kInvalidEvent);
  EXPECT_GT(ok.first, 0u);
  EXPECT_FALSE(g.vm->shared_gfns().count(0x200));
}

}  // namespace
}  // namespace cbit::sw::guest
