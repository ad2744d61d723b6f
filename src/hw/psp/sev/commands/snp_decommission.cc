// SNP_DECOMMISSION (AMD-ASPFW sev_mcmd.c snp_mcmd_decommission, snp_decommission_common).
// The prologue (reserved bits -> INVALID_PARAM, SNP not INIT -> INVALID_PLATFORM_STATE, GCTX not
// Context -> INVALID_GUEST), then the guest is deactivated (an ASID that ran becomes Dirty, one
// that never ran Clean), its context and keys are erased, and the GCTX page goes back from
// Context to Firmware (RMP.VMSA cleared); the host reclaims it with SNP_PAGE_RECLAIM.
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_addr { u64 gctx_paddr; }
SevStatus SevFirmware::cmd_snp_decommission(Bytes& buf) {
  const uint64_t gctx = load_le<uint64_t>(buf.data());
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(gctx, true, &g); st != SevStatus::Success) return st;
  snp_deactivate(*g);
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(gctx, &pa, &e); st != SevStatus::Success) return st;
  snp_guests_.erase(pa.value);
  e.vmsa = false;  // Context -> Firmware
  snp_rmp_write(pa, e);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
