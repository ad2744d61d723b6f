// SNP_SHUTDOWN and SNP_SHUTDOWN_EX (AMD-ASPFW sev_mcmd.c snp_mcmd_shutdown_common). Checks in
// ASPFW's order: SEV still initialised -> INVALID_PLATFORM_STATE (SEV shuts down first); SNP
// UNINIT -> SUCCESS with nothing done; any ASID not Clean -> DFFLUSH_REQUIRED (Linux does
// WBINVD on all CPUs and SNP_DF_FLUSH first); SHUTDOWN_EX: length != 8 or reserved bits ->
// INVALID_PARAM, X86_SNP_SHUTDOWN (clearing SNP_EN on every core through the SMU) is not
// offered by this model -> INVALID_PARAM as ASPFW answers without SMU support.
// Every guest context goes; the RMP stays built (SNP_INIT_EX without INIT_RMP may follow).
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_shutdown_ex { u32 len; u32 iommu_snp_shutdown:1, x86_snp_shutdown:1,
//                                   rsvd1:30; }
SevStatus SevFirmware::cmd_snp_shutdown(Bytes& buf, bool ex) {
  if (state_ != PlatformState::Uninit) return SevStatus::InvalidPlatformState;
  if (snp_state_ == SnpPlatformState::Uninit) return SevStatus::Success;
  for (AsidState a : asids_)
    if (a != AsidState::Clean) return SevStatus::DfflushRequired;
  if (ex) {
    if (load_le<uint32_t>(buf.data()) != kSnpShutdownExLen) return SevStatus::InvalidParam;
    const uint32_t f = load_le<uint32_t>(buf.data() + 4);
    if (f & ~3u) return SevStatus::InvalidParam;
    if (f & 2u) return SevStatus::InvalidParam;  // X86_SNP_SHUTDOWN: no SMU SET_MSR here
  }
  snp_guests_.clear();
  snp_state_ = SnpPlatformState::Uninit;
  snp_init_flags_ = 0;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
