// A running VMPL1 guest (issue 9 §1 "VMPLs"; APM Vol. 2 §15.36.7 VMPLs, §15.36.10 Table 15-39,
// Table 15-41; SNP-FACTS.md §1.4, §1.5): the guest kernel at VMPL0 builds a VMSA whose VMPL byte
// (0xCA) is 1, marks it with RMPADJUST's VMSA bit and hands it to KVM by AP creation; it grants
// VMPL1 read-only access to one page with RMPADJUST and nothing on another. The hypervisor runs
// that VMSA on vCPU 1, at VMPL1:
//   - its write to the read-only page is an #NPF with the VMPL bit (EXITINFO1 bit 36, RMP bit
//     31), the page unchanged; its read of it returns VMPL0's data;
//   - its read of the page VMPL0 never granted is an #NPF with the VMPL bit;
//   - control: once VMPL0 grants write, the same write succeeds and VMPL0 reads it;
//   - on a part with VmplSSS (genoa), a VMPL fault on a page whose VMPL1 permissions include the
//     supervisor-shadow-stack bit also sets EXITINFO1 bit 37 (SSS); without that bit it is clear.
//     The model has no shadow-stack accesses (no CET), so only the bit's report is tested.
#include <gtest/gtest.h>

#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"
#include "hw/cpu/msr.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_entry.h"
#include "hw/svm/vmcb.h"
#include "psp/digest/vmsa.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::guest {
namespace {

using hv::SevMode;
using test::SnpGuestVm;
namespace ec = hw::svm::exit_code;
namespace npf = hw::svm::npf;
namespace perm = hw::rmp::perm;

constexpr uint64_t kRmpBit = 1ull << 31;
constexpr uint64_t kVmplBit = 1ull << 36;
constexpr uint64_t kSssBit = 1ull << 37;
static_assert(npf::kVmpl == kVmplBit && npf::kSss == kSssBit);
constexpr uint64_t kVmpl0Data = 0x5650'4c30'2064'6174ull;  // what VMPL0 wrote
constexpr uint64_t kVmpl1Data = 0x5650'4c31'2077'7274ull;  // what VMPL1 tries to write

// The VMPL1 vCPU's VMSA, as VMPL0 (an SVSM would) builds it: SNP format, SEV_FEATURES SNPActive,
// the entry state of the model's guests, VMPL 1.
Bytes vmpl1_vmsa() {
  auto p = psp::digest::build_vmsa(psp::digest::kBspEip, 1, 0, psp::digest::VmmType::Qemu);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCr0, hv::kEntryCr0);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kRip, hv::kEntryRip);
  store_le<uint64_t>(p.data() + psp::digest::vmsa_off::kCs + 8, 0);
  p[hw::svm::save::kVmpl] = 1;
  return Bytes(p.begin(), p.end());
}

uint64_t rmpadjust_attrs(unsigned vmpl, uint8_t perms) { return vmpl | uint64_t{perms} << 8; }

struct Vmpl1Rig {
  explicit Vmpl1Rig(const std::string& cpu = "milan", uint8_t ro_perms = perm::kRead)
      : g(SevMode::Snp, {}, /*vcpus=*/2, {}, test::kSnpRam, cpu) {
    EXPECT_EQ(g.run().code, ec::kHlt) << g.dmesg();
    g.k->queue([&](GuestKernel& k) {
      const VirtAddr vmsa = *k.alloc_pages(0);
      k.memcpy_to(vmsa, vmpl1_vmsa());
      set_vmsa = k.snp_set_vmsa(vmsa, true);  // RMPADJUST, target VMPL1, VMSA bit
      const VirtAddr ro = *k.alloc_pages(0), none = *k.alloc_pages(0);
      uint8_t b[8];
      store_le(b, kVmpl0Data);
      k.memcpy_to(ro, b);
      k.memcpy_to(none, b);
      grant = k.cpu().rmpadjust(ro, false, rmpadjust_attrs(1, ro_perms)).eax;
      ro_gpa = k.__pa(ro).value;
      none_gpa = k.__pa(none).value;
      created = k.snp_ap_create(1, vmsa, 1);
    });
    EXPECT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  }
  // One VMRUN of vCPU 1 (its VMSA says VMPL1) with `fn` as its code.
  hw::svm::VmExit vmpl1(std::function<void(hw::Cpu&)> fn) {
    hv::test::FnGuest guest(std::move(fn));
    return g.vm->run(guest, 1);
  }
  // VMPL0 (the kernel on vCPU 0) reads a page.
  uint64_t vmpl0_read(uint64_t gpa) {
    uint64_t v = 0;
    g.k->queue([&](GuestKernel& k) {
      uint8_t b[8];
      k.memcpy_from(k.__va(GuestPhysAddr(gpa)), b);
      v = load_le<uint64_t>(b);
    });
    EXPECT_EQ(g.run().code, ec::kHlt) << g.dmesg();
    return v;
  }
  SnpGuestVm g;
  int set_vmsa = -1, created = -1;
  uint32_t grant = ~0u;
  uint64_t ro_gpa = 0, none_gpa = 0;
};

// The VMSA VMPL0 built runs (VMRUN's Table 15-41 check passed: RMP.VMSA set by RMPADJUST) and
// its code is at VMPL1: RMPADJUST may target VMPL2 but not VMPL1 itself.
TEST(SnpVmpl1Guest, RunsAtVmpl1FromTheVmsaVmpl0Built) {
  Vmpl1Rig r;
  ASSERT_EQ(r.set_vmsa, 0);
  ASSERT_EQ(r.grant, 0u);
  ASSERT_EQ(r.created, 0);
  uint32_t to_self = 0, to_vmpl2 = ~0u;
  uint64_t status = 0;
  const auto exit = r.vmpl1([&](hw::Cpu& cpu) {
    status = cpu.rdmsr(hw::msr::kSevStatus);
    to_self = cpu.rmpadjust(VirtAddr(r.ro_gpa), false, rmpadjust_attrs(1, perm::kRead)).eax;
    to_vmpl2 = cpu.rmpadjust(VirtAddr(r.ro_gpa), false, rmpadjust_attrs(2, perm::kRead)).eax;
  });
  EXPECT_EQ(exit.code, ec::kHlt);
  EXPECT_EQ(status & 7, 7u);
  EXPECT_EQ(to_self, hw::rmp::ret::kFailPermission);
  EXPECT_EQ(to_vmpl2, 0u);
  // VMPL0's own vCPU ran at VMPL0.
  EXPECT_TRUE(r.g.dmesg_has("SEV: SNP running at VMPL0."));
}

TEST(SnpVmpl1Guest, WriteToAReadOnlyPageIsNpfWithTheVmplBitReadSucceeds) {
  Vmpl1Rig r;
  ASSERT_EQ(r.grant, 0u);
  bool wrote = false;
  const auto w = r.vmpl1([&](hw::Cpu& cpu) {
    cpu.write<uint64_t>(VirtAddr(r.ro_gpa), kVmpl1Data);  // paging off: VA = GPA, private
    wrote = true;
  });
  EXPECT_EQ(w.code, ec::kNpf);
  EXPECT_EQ(w.info2, r.ro_gpa);
  EXPECT_TRUE(w.info1 & kVmplBit) << std::hex << w.info1;
  EXPECT_TRUE(w.info1 & kRmpBit) << std::hex << w.info1;
  EXPECT_TRUE(w.info1 & hw::pf_err::kWrite) << std::hex << w.info1;
  EXPECT_FALSE(w.info1 & kSssBit);
  EXPECT_FALSE(wrote);
  uint64_t got = 0;
  const auto rd = r.vmpl1([&](hw::Cpu& cpu) { got = cpu.read<uint64_t>(VirtAddr(r.ro_gpa)); });
  EXPECT_EQ(rd.code, ec::kHlt);
  EXPECT_EQ(got, kVmpl0Data);
  EXPECT_EQ(r.vmpl0_read(r.ro_gpa), kVmpl0Data) << "the denied write changed nothing";
}

TEST(SnpVmpl1Guest, PageVmpl0NeverGrantedIsNpfWithTheVmplBit) {
  Vmpl1Rig r;
  uint64_t got = 0;
  const auto rd = r.vmpl1([&](hw::Cpu& cpu) { got = cpu.read<uint64_t>(VirtAddr(r.none_gpa)); });
  EXPECT_EQ(rd.code, ec::kNpf);
  EXPECT_EQ(rd.info2, r.none_gpa);
  EXPECT_TRUE(rd.info1 & kVmplBit) << std::hex << rd.info1;
  EXPECT_FALSE(rd.info1 & hw::pf_err::kWrite);
  EXPECT_EQ(got, 0u);
  // VMPL0 reads the same page (control: the page is fine, only VMPL1 lacks the permission).
  EXPECT_EQ(r.vmpl0_read(r.none_gpa), kVmpl0Data);
}

TEST(SnpVmpl1Guest, ControlAfterVmpl0GrantsWriteTheWriteSucceeds) {
  Vmpl1Rig r;
  ASSERT_EQ(
      r.vmpl1([&](hw::Cpu& cpu) { cpu.write<uint64_t>(VirtAddr(r.ro_gpa), kVmpl1Data); }).code,
      ec::kNpf);
  uint32_t grant = ~0u;
  r.g.k->queue([&](GuestKernel& k) {
    grant = k.cpu()
                .rmpadjust(k.__va(GuestPhysAddr(r.ro_gpa)), false,
                           rmpadjust_attrs(1, perm::kRead | perm::kWrite))
                .eax;
  });
  ASSERT_EQ(r.g.run().code, ec::kHlt);
  ASSERT_EQ(grant, 0u);
  const auto w =
      r.vmpl1([&](hw::Cpu& cpu) { cpu.write<uint64_t>(VirtAddr(r.ro_gpa), kVmpl1Data); });
  EXPECT_EQ(w.code, ec::kHlt) << std::hex << w.info1;
  EXPECT_EQ(r.vmpl0_read(r.ro_gpa), kVmpl1Data);
}

// VMPL1 cannot raise its own permissions: RMPADJUST from VMPL1 targets only VMPL2 and up, and
// only with what VMPL1 has (FAIL_PERMISSION otherwise); the read-only page stays read-only.
TEST(SnpVmpl1Guest, Vmpl1CannotGrantItselfWrite) {
  Vmpl1Rig r;
  uint32_t self = 0, lower_write = 0, lower_read = ~0u;
  const auto x = r.vmpl1([&](hw::Cpu& cpu) {
    const VirtAddr va(r.ro_gpa);
    self = cpu.rmpadjust(va, false, rmpadjust_attrs(1, perm::kRead | perm::kWrite)).eax;
    lower_write = cpu.rmpadjust(va, false, rmpadjust_attrs(2, perm::kWrite)).eax;
    lower_read = cpu.rmpadjust(va, false, rmpadjust_attrs(2, perm::kRead)).eax;  // control
  });
  EXPECT_EQ(x.code, ec::kHlt);
  EXPECT_EQ(self, hw::rmp::ret::kFailPermission);
  EXPECT_EQ(lower_write, hw::rmp::ret::kFailPermission);
  EXPECT_EQ(lower_read, 0u);
  EXPECT_EQ(r.vmpl1([&](hw::Cpu& cpu) { cpu.write<uint64_t>(VirtAddr(r.ro_gpa), 1); }).code,
            ec::kNpf);
}

// EXITINFO1 bit 37 mirrors the VMPL's supervisor-shadow-stack permission on a VMPL fault when the
// part has VmplSSS (CPUID Fn8000_001F EAX[7]: genoa yes, milan no).
TEST(SnpVmpl1Guest, SssBitReportedWithVmplSssOnly) {
  const auto write_fault = [](const std::string& cpu, uint8_t perms) {
    Vmpl1Rig r(cpu, perms);
    EXPECT_EQ(r.grant, 0u);
    return r.vmpl1([&](hw::Cpu& c) { c.write<uint64_t>(VirtAddr(r.ro_gpa), kVmpl1Data); });
  };
  const auto sss = write_fault("genoa", perm::kRead | perm::kSupervisorShadowStack);
  EXPECT_EQ(sss.code, ec::kNpf);
  EXPECT_TRUE(sss.info1 & kVmplBit);
  EXPECT_TRUE(sss.info1 & kSssBit) << std::hex << sss.info1;
  const auto plain = write_fault("genoa", perm::kRead);  // control: no SSS permission
  EXPECT_TRUE(plain.info1 & kVmplBit);
  EXPECT_FALSE(plain.info1 & kSssBit) << std::hex << plain.info1;
  const auto milan = write_fault("milan", perm::kRead | perm::kSupervisorShadowStack);
  EXPECT_TRUE(milan.info1 & kVmplBit);
  EXPECT_FALSE(milan.info1 & kSssBit) << "milan has no VmplSSS";
}

// RMPADJUST on a page the guest has not validated (it rescinded it with PVALIDATE) is #VC
// PAGE_NOT_VALIDATED with CR2 = the page's address, and grants nothing; control: the validated
// neighbour's RMPADJUST succeeds.
TEST(SnpVmpl1Guest, RmpadjustOfAnUnvalidatedPageIsVc404) {
  SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  uint64_t vc = 0, cr2 = 0;
  uint32_t control = ~0u, rescind = ~0u;
  GuestPhysAddr gpa;
  VirtAddr va;
  g.k->queue([&](GuestKernel& k) {
    va = *k.alloc_pages(1);
    gpa = k.__pa(va);
    rescind = k.cpu().pvalidate(va, false, false).eax;
    try {
      k.cpu().rmpadjust(va, false, rmpadjust_attrs(1, perm::kRead));
    } catch (const hw::VmmCommunication& e) {
      vc = e.exit_code();
      cr2 = k.cpu().cr2();
    }
    control = k.cpu().rmpadjust(va + kPageSize, false, rmpadjust_attrs(1, perm::kRead)).eax;
  });
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  ASSERT_EQ(rescind, 0u);
  EXPECT_EQ(vc, 0x404u);
  EXPECT_EQ(cr2, va.value);
  EXPECT_EQ(control, 0u);
  const auto rmp = [&](GuestPhysAddr p) {
    return g.host.m.rmp().table().read(*g.vm->memory().gpa_to_spa(p));
  };
  EXPECT_EQ(rmp(gpa).vmpl_perms[1], 0);
  EXPECT_EQ(rmp(gpa + kPageSize).vmpl_perms[1], perm::kRead);
}

}  // namespace
}  // namespace cbit::sw::guest
