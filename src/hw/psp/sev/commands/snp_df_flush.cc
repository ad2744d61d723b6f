// SNP_DF_FLUSH (AMD-ASPFW sev_mcmd.c snp_mcmd_df_flush -> mcmd_df_flush_common): the same
// flush as SEV's DF_FLUSH over the one ASID table both APIs share. Refused while neither API is
// initialised (INVALID_PLATFORM_STATE); WBINVD_REQUIRED until every core has done a WBINVD
// since the flags were last cleared.
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

SevStatus SevFirmware::cmd_snp_df_flush() {
  if (snp_state_ == SnpPlatformState::Uninit && state_ == PlatformState::Uninit)
    return SevStatus::InvalidPlatformState;
  return cmd_df_flush();
}

}  // namespace cbit::hw::psp::sev
