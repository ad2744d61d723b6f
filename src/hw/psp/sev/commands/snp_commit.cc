// SNP_COMMIT (AMD-ASPFW sev_mcmd.c snp_mcmd_commit; SNP-FACTS.md §2.4): LENGTH != 4 ->
// INVALID_PARAM; otherwise the running firmware's TCB becomes the committed TCB, and rollback
// below it is impossible (SNP_CONFIG can no longer report anything above it, and nothing older
// than it is committed again).
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_commit { u32 len; }
SevStatus SevFirmware::cmd_snp_commit(Bytes& buf) {
  if (load_le<uint32_t>(buf.data()) != kSnpCommitLen) return SevStatus::InvalidParam;
  committed_tcb_ = snp_tcb_.tcb;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
