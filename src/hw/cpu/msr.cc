#include "hw/cpu/msr.h"

#include <cstdio>

#include "hw/cpu/fault.h"

namespace cbit::hw {

MsrFile::MsrFile(const CpuModel& model, const CpuFirmwareSettings& fw, Asid asid)
    : model_(model), fw_(fw), asid_(asid) {
  reset();
}

void MsrFile::reset() {
  syscfg_ = fw_.mem_encryption ? syscfg::kMemEncryptionModEn : 0;
  hwcr_ = (fw_.smm_lock ? hwcr::kSmmLock : 0) | hwcr::kInvdWbinvd;
  ghcb_ = svsm_caa_ = rmp_cfg_ = vm_hsave_pa_ = 0;
  rmp_base_ = fw_.rmp_base;
  rmp_end_ = fw_.rmp_end;
}

void MsrFile::gp(uint32_t index, const std::string& why) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "MSR %#x: ", index);
  throw GeneralProtection(buf + why);
}

uint64_t MsrFile::read(uint32_t index) const {
  switch (index) {
    case msr::kSyscfg:
      return syscfg_;
    case msr::kHwcr:
      return hwcr_;
    case msr::kSevStatus:
      if (!has(SevFeature::Sme) && !has(SevFeature::Sev)) gp(index, "no SME/SEV on this part");
      return 0;  // the host: no SEV guest is running on this CPU
    case msr::kGhcb:
      if (asid_.is_host()) gp(index, "guest-only MSR read on the host");
      return ghcb_;
    case msr::kSvsmCaa:
      if (asid_.is_host()) gp(index, "guest-only MSR read on the host");
      return svsm_caa_;
    case msr::kRmpBase:
      if (!has(SevFeature::SevSnp)) gp(index, "no SNP on this part");
      return rmp_base_;
    case msr::kRmpEnd:
      if (!has(SevFeature::SevSnp)) gp(index, "no SNP on this part");
      return rmp_end_;
    case msr::kRmpCfg:
      if (!has(SevFeature::SegmentedRmp)) gp(index, "no segmented RMP on this part");
      return rmp_cfg_;
    case msr::kVmHsavePa:
      return vm_hsave_pa_;
    case msr::kVmPageFlush:
      gp(index, "write-only MSR");
    default:
      gp(index, "not implemented");
  }
}

void MsrFile::write(uint32_t index, uint64_t value) {
  switch (index) {
    case msr::kSyscfg:
      write_syscfg(value);
      return;
    case msr::kHwcr:
      // SmmLock is write-once: once the BIOS locked SMM it stays locked until reset.
      hwcr_ = value | (hwcr_ & hwcr::kSmmLock);
      // The CacheWarp microcode fix pins INVD-to-WBINVD conversion on.
      if (model_.cachewarp_fix) hwcr_ |= hwcr::kInvdWbinvd;
      return;
    case msr::kSevStatus:
      gp(index, "read-only MSR");
    case msr::kGhcb:
      if (asid_.is_host()) gp(index, "guest-only MSR written on the host");
      ghcb_ = value;
      return;
    case msr::kSvsmCaa:
      if (asid_.is_host()) gp(index, "guest-only MSR written on the host");
      svsm_caa_ = value;
      return;
    case msr::kRmpBase:
    case msr::kRmpEnd:
      if (!has(SevFeature::SevSnp)) gp(index, "no SNP on this part");
      if (snp_enabled()) gp(index, "RMP range is locked while SYSCFG[SNP_EN]=1");
      (index == msr::kRmpBase ? rmp_base_ : rmp_end_) = value;
      return;
    case msr::kRmpCfg:
      if (!has(SevFeature::SegmentedRmp)) gp(index, "no segmented RMP on this part");
      if (snp_enabled()) gp(index, "RMP configuration is locked while SYSCFG[SNP_EN]=1");
      if (value & ~rmp_cfg::kKnown) gp(index, "reserved bit set");
      if ((value & rmp_cfg::kSegRmpEn) && (rmp_cfg::shift(value) < rmp_cfg::kMinSegmentShift ||
                                           rmp_cfg::shift(value) > rmp_cfg::kMaxSegmentShift))
        gp(index, "RMP segment size outside CPUID Fn8000_0025");
      rmp_cfg_ = value;
      return;
    case msr::kVmHsavePa:
      if (value & (kPageSize - 1)) gp(index, "not 4 KiB-aligned");
      if (model_.maxphyaddr < 64 && (value >> model_.maxphyaddr)) gp(index, "beyond MAXPHYADDR");
      vm_hsave_pa_ = value;
      return;
    default:
      gp(index, "not implemented");
  }
}

void MsrFile::write_syscfg(uint64_t value) {
  // APM §15.36.2: once SNP_EN=1, writes to SYSCFG are ignored (until reset).
  if (snp_enabled()) return;
  constexpr uint64_t kKnown =
      syscfg::kPlainBits | syscfg::kMemEncryptionModEn | syscfg::kSnpEn | syscfg::kSnpVmplEn;
  if (value & ~kKnown) gp(msr::kSyscfg, "reserved bit set");
  // MemEncryptionModEn belongs to the firmware: a change is dropped, the rest applies.
  uint64_t next = (value & ~syscfg::kMemEncryptionModEn) | (syscfg_ & syscfg::kMemEncryptionModEn);
  if ((next & syscfg::kSnpEn) && !snp_enabled()) {
    if (!has(SevFeature::SevSnp)) gp(msr::kSyscfg, "SNP_EN on a part without SNP");
    if (!mem_encrypt_enabled()) gp(msr::kSyscfg, "SNP_EN with MemEncryptionModEn=0");
    if (!(syscfg_ & syscfg::kMfdm)) gp(msr::kSyscfg, "SNP_EN before MFDM was set");
  }
  if ((next & syscfg::kSnpEn) && !(next & syscfg::kMfdm))
    gp(msr::kSyscfg, "clearing MFDM while SNP_EN=1");
  if ((next & syscfg::kSnpVmplEn) && !(next & syscfg::kSnpEn))
    gp(msr::kSyscfg, "SNP_VMPL_EN without SNP_EN");
  syscfg_ = next;
}

}  // namespace cbit::hw
