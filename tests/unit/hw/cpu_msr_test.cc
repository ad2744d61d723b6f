// The MSR file: SYSCFG's firmware-owned MemEncryptionModEn, the SNP enable sequence, SEV_STATUS
// on the host, EFER, and #GP for everything else.
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "unit/hw/cpu_test_rig.h"

namespace cbit::hw {
namespace {

using testing::CpuRig;

TEST(CpuMsr, SyscfgMemEncryptionModEnReflectsTheFirmwareSetting) {
  CpuRig on("naples", true), off("naples", false);
  EXPECT_TRUE(on.cpu.rdmsr(msr::kSyscfg) & syscfg::kMemEncryptionModEn);
  EXPECT_FALSE(off.cpu.rdmsr(msr::kSyscfg) & syscfg::kMemEncryptionModEn);
  // The C-bit exists for software only when the firmware enabled memory encryption.
  EXPECT_EQ(on.cpu.c_bit_mask(), 1ull << 47);
  EXPECT_EQ(off.cpu.c_bit_mask(), 0u);
}

TEST(CpuMsr, WrmsrCannotChangeMemEncryptionModEn) {
  CpuRig on("naples", true), off("naples", false);
  on.cpu.wrmsr(msr::kSyscfg, on.cpu.rdmsr(msr::kSyscfg) & ~syscfg::kMemEncryptionModEn);
  EXPECT_TRUE(on.cpu.rdmsr(msr::kSyscfg) & syscfg::kMemEncryptionModEn);
  EXPECT_EQ(on.cpu.c_bit_mask(), 1ull << 47);
  off.cpu.wrmsr(msr::kSyscfg, off.cpu.rdmsr(msr::kSyscfg) | syscfg::kMemEncryptionModEn);
  EXPECT_FALSE(off.cpu.rdmsr(msr::kSyscfg) & syscfg::kMemEncryptionModEn);
  EXPECT_EQ(off.cpu.c_bit_mask(), 0u);
  // Control: the rest of the same write does apply.
  off.cpu.wrmsr(msr::kSyscfg, syscfg::kMfdm | syscfg::kMemEncryptionModEn);
  EXPECT_EQ(off.cpu.rdmsr(msr::kSyscfg), syscfg::kMfdm);
  // A reset brings back the firmware's value, not the written one.
  off.cpu.reset();
  EXPECT_EQ(off.cpu.rdmsr(msr::kSyscfg), 0u);
}

TEST(CpuMsr, SyscfgReservedBitsFault) {
  CpuRig r;
  EXPECT_THROW(r.cpu.wrmsr(msr::kSyscfg, r.cpu.rdmsr(msr::kSyscfg) | 1ull << 40),
               GeneralProtection);
}

TEST(CpuMsr, SnpEnableNeedsSnpMfdmFirstAndStaysOn) {
  CpuRig naples("naples");
  EXPECT_THROW(naples.cpu.wrmsr(msr::kSyscfg,
                                naples.cpu.rdmsr(msr::kSyscfg) | syscfg::kMfdm | syscfg::kSnpEn),
               GeneralProtection);  // no SNP on Zen 1

  CpuRig milan("milan");
  auto& cpu = milan.cpu;
  const uint64_t base = cpu.rdmsr(msr::kSyscfg);
  EXPECT_THROW(cpu.wrmsr(msr::kSyscfg, base | syscfg::kSnpEn), GeneralProtection);  // MFDM first
  EXPECT_EQ(cpu.rdmsr(msr::kSyscfg), base);
  cpu.wrmsr(msr::kRmpBase, 0x10000000);
  cpu.wrmsr(msr::kRmpEnd, 0x107fffff);
  // Linux snp_rmptable_init: MFDM in one write, then SNP_EN | SNP_VMPL_EN.
  cpu.wrmsr(msr::kSyscfg, cpu.rdmsr(msr::kSyscfg) | syscfg::kMfdm);
  cpu.wrmsr(msr::kSyscfg, cpu.rdmsr(msr::kSyscfg) | syscfg::kSnpEn | syscfg::kSnpVmplEn);
  EXPECT_TRUE(cpu.rdmsr(msr::kSyscfg) & syscfg::kSnpEn);
  cpu.wrmsr(msr::kSyscfg, cpu.rdmsr(msr::kSyscfg) & ~(syscfg::kSnpEn | syscfg::kSnpVmplEn));
  EXPECT_TRUE(cpu.rdmsr(msr::kSyscfg) & syscfg::kSnpEn) << "SNP_EN stays on until reset";
  EXPECT_THROW(cpu.wrmsr(msr::kRmpBase, 0), GeneralProtection);  // RMP range locked
  EXPECT_EQ(cpu.rdmsr(msr::kRmpBase), 0x10000000u);
  cpu.reset();
  EXPECT_FALSE(cpu.rdmsr(msr::kSyscfg) & syscfg::kSnpEn);
}

TEST(CpuMsr, SnpEnableNeedsMemoryEncryption) {
  CpuRig r("milan", false);
  r.cpu.wrmsr(msr::kSyscfg, syscfg::kMfdm);
  EXPECT_THROW(r.cpu.wrmsr(msr::kSyscfg, syscfg::kMfdm | syscfg::kSnpEn), GeneralProtection);
}

TEST(CpuMsr, SevStatusReadsZeroOnTheHostAndFaultsWithoutSev) {
  CpuRig r;
  EXPECT_EQ(r.cpu.rdmsr(msr::kSevStatus), 0u);
  EXPECT_THROW(r.cpu.wrmsr(msr::kSevStatus, 1), GeneralProtection);
  // A part without SME or SEV has no such MSR (the Hygon Dhyana case in Linux sme_enable).
  CpuRig plain;
  CpuModel m = plain.model;
  apply_cpu_override(m, "features=-sme,-sev");
  Cpu bare(m, plain.cache, plain.cache, CpuFirmwareSettings{});
  EXPECT_THROW(bare.rdmsr(msr::kSevStatus), GeneralProtection);
}

TEST(CpuMsr, UnknownWriteOnlyAndGuestOnlyMsrsFault) {
  CpuRig r;
  EXPECT_THROW(r.cpu.rdmsr(0xC0011234), GeneralProtection);
  EXPECT_THROW(r.cpu.wrmsr(0xC0011234, 0), GeneralProtection);
  EXPECT_THROW(r.cpu.rdmsr(msr::kVmPageFlush), GeneralProtection);
  EXPECT_THROW(r.cpu.rdmsr(msr::kGhcb), GeneralProtection);
  EXPECT_THROW(r.cpu.rdmsr(msr::kRmpBase), GeneralProtection);  // Naples: no SNP
  EXPECT_TRUE(r.cpu.rdmsr(msr::kHwcr) & hwcr::kSmmLock);
}

TEST(CpuMsr, MsrAccessAtCpl3Faults) {
  CpuRig r;
  r.cpu.set_cpl(3);
  EXPECT_THROW(r.cpu.rdmsr(msr::kSyscfg), GeneralProtection);
  EXPECT_THROW(r.cpu.wrmsr(msr::kEfer, 0), GeneralProtection);
}

TEST(CpuMsr, EferRules) {
  CpuRig r;
  EXPECT_THROW(r.cpu.wrmsr(msr::kEfer, 1ull << 20), GeneralProtection);
  r.cpu.wrmsr(msr::kEfer, efer::kLme | efer::kLma | efer::kNxe | efer::kSvme);
  EXPECT_EQ(r.cpu.rdmsr(msr::kEfer), efer::kLme | efer::kNxe | efer::kSvme);  // LMA is the CPU's
  r.pt.make_root(false);
  r.enter_long_mode();
  EXPECT_TRUE(r.cpu.rdmsr(msr::kEfer) & efer::kLma);
  EXPECT_THROW(r.cpu.wrmsr(msr::kEfer, efer::kNxe), GeneralProtection);  // LME with PG=1
}

TEST(CpuMsr, ControlRegisterRules) {
  CpuRig r;
  EXPECT_THROW(r.cpu.mov_to_cr0(cr0::kPg), GeneralProtection);  // PG without PE
  r.cpu.wrmsr(msr::kEfer, efer::kLme);
  EXPECT_THROW(r.cpu.mov_to_cr0(cr0::kPe | cr0::kPg), GeneralProtection);  // PAE off
  r.cpu.mov_to_cr4(cr4::kPae);
  // CR3 may not carry a reduced-away address bit (Naples: 43..46) or bits 63:52.
  EXPECT_THROW(r.cpu.mov_to_cr3(1ull << 44), GeneralProtection);
  EXPECT_THROW(r.cpu.mov_to_cr3(1ull << 60), GeneralProtection);
  r.cpu.mov_to_cr3(0x1000 | 1ull << 47);  // the C-bit is fine
  EXPECT_EQ(r.cpu.cr3(), 0x1000 | 1ull << 47);
}

}  // namespace
}  // namespace cbit::hw
