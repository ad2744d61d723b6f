// INVD and HWCR[INVDWBINVD] (bit 4): INVD behaves as WBINVD while the bit is set (its reset
// value); a hypervisor that clears it makes INVD drop dirty lines (CacheWarp, USENIX Security
// 2024). The AMD-SB-3005 microcode (CpuModel::cachewarp_fix: Milan and later presets) keeps the
// bit set; Zen 1/2 have no fix.
#include <gtest/gtest.h>

#include "common/error.h"
#include "hw/cpu/fault.h"
#include "unit/hw/cpu_test_rig.h"

namespace cbit::hw {
namespace {

using testing::CpuRig;
constexpr uint64_t kVa = 0x400000, kData = 0x200000, kRw = 0x3;

// Writes `old` and makes it reach DRAM, writes `fresh` (dirty in the cache), clears HWCR[4] if
// asked and executes INVD; returns what the core reads afterwards.
uint64_t after_invd(CpuRig& r, bool clear_bit, uint64_t old = 0x1111, uint64_t fresh = 0x2222) {
  r.pt.make_root(false);
  r.pt.map(kVa, kData, kRw, true);
  r.enter_long_mode();
  r.cpu.write<uint64_t>(VirtAddr(kVa), old);
  r.cpu.wbinvd();
  r.cpu.write<uint64_t>(VirtAddr(kVa), fresh);
  if (clear_bit) r.cpu.wrmsr(msr::kHwcr, r.cpu.rdmsr(msr::kHwcr) & ~hwcr::kInvdWbinvd);
  r.cpu.invd();
  return r.cpu.read<uint64_t>(VirtAddr(kVa));
}

TEST(CpuInvd, HwcrInvdWbinvdIsSetAtReset) {
  for (const char* p : {"naples", "rome", "milan", "genoa"}) {
    CpuRig r(p);
    EXPECT_TRUE(r.cpu.rdmsr(msr::kHwcr) & hwcr::kInvdWbinvd) << p;
  }
}

TEST(CpuInvd, WithTheBitSetInvdWritesBack) {
  CpuRig r("rome");
  EXPECT_EQ(after_invd(r, false), 0x2222u);
}

TEST(CpuInvd, UnfixedPartClearedBitDropsDirtyLines) {
  CpuRig r("rome");  // Zen 2: no microcode fix exists
  EXPECT_FALSE(r.model.cachewarp_fix);
  EXPECT_EQ(after_invd(r, true), 0x1111u);  // the write is lost: CacheWarp
  EXPECT_FALSE(r.cpu.rdmsr(msr::kHwcr) & hwcr::kInvdWbinvd);
  EXPECT_TRUE(r.cpu.rdmsr(msr::kHwcr) & hwcr::kSmmLock);  // the rest of HWCR untouched
}

TEST(CpuInvd, FixedMicrocodeKeepsTheBitSet) {
  CpuRig r("milan");
  EXPECT_TRUE(r.model.cachewarp_fix);
  EXPECT_EQ(after_invd(r, true), 0x2222u);  // the clear was ignored
  EXPECT_TRUE(r.cpu.rdmsr(msr::kHwcr) & hwcr::kInvdWbinvd);
}

TEST(CpuInvd, TheFixIsACpuModelProperty) {
  CpuModel m = cpu_model_by_name("milan");
  apply_cpu_override(m, "cachewarp-fix=0");
  EXPECT_FALSE(m.cachewarp_fix);
  apply_cpu_override(m, "cachewarp-fix=1");
  EXPECT_TRUE(m.cachewarp_fix);
  EXPECT_THROW(apply_cpu_override(m, "cachewarp-fix=2"), InputError);
  EXPECT_THROW(apply_cpu_override(m, "ciphertext-hiding=x"), InputError);
  EXPECT_TRUE(cpu_model_by_name("genoa").ciphertext_hiding);
  EXPECT_FALSE(cpu_model_by_name("milan").ciphertext_hiding);
}

TEST(CpuInvd, InvdAtCpl3IsGp) {
  CpuRig r("rome");
  r.cpu.set_cpl(3);
  EXPECT_THROW(r.cpu.invd(), GeneralProtection);
}

}  // namespace
}  // namespace cbit::hw
