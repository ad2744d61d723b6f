// VMRUN and #VMEXIT of an SNP-active vCPU (APM Vol. 2 §15.5, §15.6, §15.35.4, §15.36): the guest's
// registers go into its VMSA at #VMEXIT and come back at the next VMRUN, and the world switch
// moves only the lines of the VMCB and VMSA that hold the fields the model keeps (cpu_svm.cc
// kVmcbCtlLines, kSaveLines): 24 lines a round trip, where whole save areas were 112.
#include <gtest/gtest.h>

#include "hw/cache/cache.h"
#include "hw/cpu/cpu.h"
#include "hw/svm/vmcb.h"
#include "unit/sw/snp_guest_rig.h"

namespace cbit::sw::guest {
namespace {

namespace ec = hw::svm::exit_code;

TEST(SnpWorldSwitch, RegistersSurviveTheVmsaRoundTripInFewLines) {
  test::SnpGuestVm g;
  ASSERT_EQ(g.run().code, ec::kHlt) << g.dmesg();
  // Guest code that leaves distinct values in every general-purpose register it may: the HLT
  // after it is the #VMEXIT that saves them.
  hv::test::FnGuest set([](hw::Cpu& cpu) {
    auto& r = cpu.regs();
    r.rax = 0x1111, r.rbx = 0x2222, r.rcx = 0x3333, r.rdx = 0x4444, r.rsi = 0x5555;
    r.rdi = 0x6666, r.rbp = 0x7777, r.r8 = 0x8888, r.r9 = 0x9999, r.r10 = 0xaaaa;
    r.r11 = 0xbbbb, r.r12 = 0xcccc, r.r13 = 0xdddd, r.r14 = 0xeeee, r.r15 = 0xf0f0;
  });
  ASSERT_EQ(g.vm->run(set, 0).code, ec::kHlt);
  hw::GprFile seen;
  hv::test::FnGuest get([&](hw::Cpu& cpu) { seen = cpu.regs(); });
  const hw::CacheStats before = g.host.m.cache().stats();
  ASSERT_EQ(g.vm->run(get, 0).code, ec::kHlt);
  const hw::CacheStats after = g.host.m.cache().stats();
  EXPECT_EQ(seen.rbx, 0x2222u);
  EXPECT_EQ(seen.rcx, 0x3333u);
  EXPECT_EQ(seen.rdx, 0x4444u);
  EXPECT_EQ(seen.rsi, 0x5555u);
  EXPECT_EQ(seen.rdi, 0x6666u);
  EXPECT_EQ(seen.rbp, 0x7777u);
  EXPECT_EQ(seen.r8, 0x8888u);
  EXPECT_EQ(seen.r9, 0x9999u);
  EXPECT_EQ(seen.r10, 0xaaaau);
  EXPECT_EQ(seen.r11, 0xbbbbu);
  EXPECT_EQ(seen.r12, 0xccccu);
  EXPECT_EQ(seen.r13, 0xddddu);
  EXPECT_EQ(seen.r14, 0xeeeeu);
  EXPECT_EQ(seen.r15, 0xf0f0u);
  EXPECT_EQ(seen.rax, 0x1111u);
  // One VMRUN and one #VMEXIT (the HLT), with KVM's handling of it between: the VMCB's control
  // lines (5 in, 5 out), the VMSA's state lines (7 in, 7 out) and what KVM itself reads.
  // Whole save areas (VMCB 32 lines each way, the VMSA 16 in and 16 + 16 at the exit) were 112
  // before counting KVM.
  const uint64_t lines = (after.hits + after.misses) - (before.hits + before.misses);
  EXPECT_GE(lines, 24u);
  EXPECT_LE(lines, 40u);  // 25 when written
}

}  // namespace
}  // namespace cbit::sw::guest
