// Model-specific registers of the simulated core that concern memory encryption.
// Addresses and bits: Linux arch/x86/include/asm/msr-index.h, APM Vol. 2 §7.10, §15.34-15.36
// (docs/SPEC-FACTS.md "MSRs"). RDMSR/WRMSR of anything not listed here raises #GP(0).
//
// Choices where the public sources are silent (docs/cpu-mmu.md explains each):
//  - SYSCFG[MemEncryptionModEn] (bit 23) comes from the firmware setting at reset. The APM
//    (§7.10.2) lets privileged software set it, but on real platforms the BIOS does so and Linux
//    only ever reads it (sme_enable, early_detect_mem_encrypt); its only SYSCFG writes are
//    read-modify-writes that keep bit 23 (MFDM, SNP_EN, SNP_VMPL_EN in arch/x86/virt/svm/sev.c).
//    So a WRMSR that tries to change bit 23 leaves it as it is (the rest of the write applies).
//  - SEV_STATUS reads 0 on a host whose CPUID Fn8000_001F reports SME or SEV (Linux sme_enable
//    reads it unconditionally once CPUID says so) and #GP otherwise (the Hygon Dhyana fix to
//    sme_enable: the RDMSR faults on parts without SEV/SME). Writes #GP.
//  - SNP_EN needs CPUID SNP, MemEncryptionModEn=1 and MFDM already set (Linux sets MFDM in an
//    earlier write); once set, every later SYSCFG write is ignored until reset (APM §15.36.2,
//    SNP-FACTS.md §1.1) and RMP_BASE / RMP_END / RMP_CFG raise #GP on write.
//  - RMP_CFG (Zen 5, SegmentedRmp): bit 0 SegRmpEn, 13:8 the segment shift, the rest MBZ; a
//    shift outside CPUID Fn8000_0025 EAX[5:0]..[11:6] is #GP. No public dump gives Turin's
//    values; the model reports 30 (1 GiB, the RST's coverage unit) .. 40 (docs/snp.md).
//  - VM_HSAVE_PA (0xC0010117): 4 KiB-aligned, within the physical width, else #GP; on an SNP
//    host it must also be hypervisor-owned, which the Cpu checks against the RMP (cpu.cc).
#pragma once
#include <cstdint>
#include <string>

#include "common/addr.h"
#include "hw/cpu_models.h"

namespace cbit::hw {

namespace msr {
inline constexpr uint32_t kEfer = 0xC0000080;
inline constexpr uint32_t kSyscfg = 0xC0010010;       // MSR_AMD64_SYSCFG
inline constexpr uint32_t kHwcr = 0xC0010015;         // MSR_K7_HWCR
inline constexpr uint32_t kVmHsavePa = 0xC0010117;    // MSR_VM_HSAVE_PA
inline constexpr uint32_t kVmPageFlush = 0xC001011E;  // MSR_AMD64_VM_PAGE_FLUSH (write-only)
inline constexpr uint32_t kGhcb = 0xC0010130;         // MSR_AMD64_SEV_ES_GHCB (guest)
inline constexpr uint32_t kSevStatus = 0xC0010131;    // MSR_AMD64_SEV
inline constexpr uint32_t kRmpBase = 0xC0010132;      // MSR_AMD64_RMP_BASE
inline constexpr uint32_t kRmpEnd = 0xC0010133;       // MSR_AMD64_RMP_END
inline constexpr uint32_t kRmpCfg = 0xC0010136;       // MSR_AMD64_RMP_CFG
inline constexpr uint32_t kSvsmCaa = 0xC001F000;      // MSR_SVSM_CAA (guest)
}  // namespace msr

// SYSCFG bit numbers (msr-index.h MSR_AMD64_SYSCFG_*_BIT).
namespace syscfg {
inline constexpr unsigned kMfdmBit = 19;  // MtrrFixDramModEn; must be set before SNP_EN
inline constexpr unsigned kMemEncryptionModEnBit = 23;
inline constexpr unsigned kSnpEnBit = 24;
inline constexpr unsigned kSnpVmplEnBit = 25;
inline constexpr uint64_t kMfdm = 1ull << kMfdmBit;
inline constexpr uint64_t kMemEncryptionModEn = 1ull << kMemEncryptionModEnBit;
inline constexpr uint64_t kSnpEn = 1ull << kSnpEnBit;
inline constexpr uint64_t kSnpVmplEn = 1ull << kSnpVmplEnBit;
// The MTRR-related bits 18..22 (MtrrFixDramEn, MFDM, MtrrVarDramEn, MtrrTom2En,
// Tom2ForceMemTypeWB) are kept as plain storage; other unlisted bits are reserved.
inline constexpr uint64_t kPlainBits = 0x1full << 18;
}  // namespace syscfg

// RMP_CFG (MSR_AMD64_SEG_RMP_ENABLED_BIT, MSR_AMD64_RMP_SEGMENT_SHIFT in Linux msr-index.h).
namespace rmp_cfg {
inline constexpr uint64_t kSegRmpEn = 1ull << 0;
inline constexpr unsigned kShiftLo = 8;
inline constexpr uint64_t kShiftMask = 0x3Full << kShiftLo;
inline constexpr uint64_t kKnown = kSegRmpEn | kShiftMask;
inline constexpr unsigned shift(uint64_t v) { return static_cast<unsigned>(v >> kShiftLo & 0x3F); }
// CPUID Fn8000_0025 EAX[5:0] / [11:6] of the modelled Zen 5 parts (see the header comment).
inline constexpr unsigned kMinSegmentShift = 30, kMaxSegmentShift = 40;
}  // namespace rmp_cfg

// EFER bits (APM Vol. 2 §3.1.7).
namespace efer {
inline constexpr uint64_t kSce = 1ull << 0;
inline constexpr uint64_t kLme = 1ull << 8;
inline constexpr uint64_t kLma = 1ull << 10;
inline constexpr uint64_t kNxe = 1ull << 11;
inline constexpr uint64_t kSvme = 1ull << 12;
}  // namespace efer

namespace hwcr {
inline constexpr uint64_t kSmmLock = 1ull << 0;  // Linux needs it set to offer SEV
// INVDWBINVD: INVD behaves as WBINVD while set (reset value 1). A hypervisor that clears it
// makes INVD drop dirty lines (CacheWarp); the AMD-SB-3005 microcode keeps it set
// (CpuModel::cachewarp_fix): a WRMSR that clears it is ignored there.
inline constexpr uint64_t kInvdWbinvd = 1ull << 4;
}  // namespace hwcr

// What the BIOS set up before the OS ran: the platform's memory-encryption switch and the
// reserved RMP range. The Machine builds this from its firmware configuration.
struct CpuFirmwareSettings {
  bool mem_encryption = false;  // BIOS "SMEE": SYSCFG[MemEncryptionModEn]=1 at reset
  bool smm_lock = true;         // HWCR[SmmLock]
  uint64_t rmp_base = 0, rmp_end = 0;
};

// The MSRs that are plain state. EFER and VM_PAGE_FLUSH act on the MMU and the caches, so the
// Cpu handles them itself (cpu.h).
class MsrFile {
 public:
  MsrFile(const CpuModel& model, const CpuFirmwareSettings& fw, Asid asid);

  void reset();                         // the values of a fresh boot, from the firmware settings
  uint64_t read(uint32_t index) const;  // #GP for unknown or write-only MSRs
  void write(uint32_t index, uint64_t value);

  uint64_t syscfg() const { return syscfg_; }
  bool mem_encrypt_enabled() const { return syscfg_ & syscfg::kMemEncryptionModEn; }
  bool snp_enabled() const { return syscfg_ & syscfg::kSnpEn; }
  uint64_t vm_hsave_pa() const { return vm_hsave_pa_; }
  // The RMP bounds these MSRs give (RMP_BASE, RMP_END, RMP_CFG), for SYSCFG.SNP_EN.
  uint64_t rmp_base() const { return rmp_base_; }
  uint64_t rmp_end() const { return rmp_end_; }
  uint64_t rmp_cfg() const { return rmp_cfg_; }

 private:
  void write_syscfg(uint64_t value);
  bool has(SevFeature f) const { return model_.fn8000_001f.has(f); }
  [[noreturn]] static void gp(uint32_t index, const std::string& why);

  const CpuModel& model_;
  CpuFirmwareSettings fw_;
  Asid asid_;
  uint64_t syscfg_ = 0, hwcr_ = 0, ghcb_ = 0, svsm_caa_ = 0;
  uint64_t rmp_base_ = 0, rmp_end_ = 0, rmp_cfg_ = 0;
  uint64_t vm_hsave_pa_ = 0;
};

}  // namespace cbit::hw
