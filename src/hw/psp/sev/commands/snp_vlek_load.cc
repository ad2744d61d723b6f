// SNP_VLEK_LOAD (AMD-ASPFW sev_mcmd.c snp_mcmd_vlek_load; Linux struct
// sev_user_data_snp_vlek_load; SNP-FACTS.md §2.4; the wrapped format in psp/snp/vlek.h).
// Checks in ASPFW's order: LENGTH != 16, VLEK_WRAPPED_VERSION != 0 or reserved bytes set ->
// INVALID_PARAM; the wrapped VLEK's page unreadable -> INVALID_ADDRESS; its TCB_VERSION not the
// reported TCB -> BAD_SVN; GCM under the wrapping key derived from the VCEK hashstick of that
// TCB fails (another chip's VLEK, or edited) -> BAD_MEASUREMENT. Then the VLEK replaces any
// loaded one: PLATFORM_STATUS reports VLEK_EN, and KEY_SEL 0 and 2 of MSG_REPORT_REQ and
// MSG_KEY_REQ use it (SIGNING_KEY 1). Like ASPFW, no platform-state check.
#include <openssl/crypto.h>

#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {

namespace snp = ::cbit::psp::snp;

// struct sev_user_data_snp_vlek_load { u32 len; u8 vlek_wrapped_version; u8 rsvd[3];
//                                      u64 vlek_wrapped_address; }
SevStatus SevFirmware::cmd_snp_vlek_load(Bytes& buf) {
  const uint8_t* b = buf.data();
  if (load_le<uint32_t>(b) != kSnpVlekLoadLen || b[4] != 0 || b[5] || b[6] || b[7])
    return SevStatus::InvalidParam;
  Bytes wrapped(snp::kVlekWrappedSize);
  if (SevStatus st = host_read(load_le<uint64_t>(b + 8), wrapped); st != SevStatus::Success)
    return st;
  const uint64_t reported = snp_reported_tcb().encode(snp_tcb_.layout);
  if (snp::snp_vlek_wrapped_tcb(wrapped) != reported) return SevStatus::BadSvn;
  auto stick = snp_vcek_hashstick(reported);
  if (!stick) return SevStatus::BadSvn;
  auto sticks = snp::snp_vlek_unwrap(*stick, wrapped);
  OPENSSL_cleanse(stick->data(), stick->size());
  if (!sticks) return SevStatus::BadMeasurement;
  vlek_key_ = snp::snp_key_from_hashstick((*sticks)[7], snp::kVlekLabel);
  vlek_ = *sticks;
  OPENSSL_cleanse(sticks->data(), sizeof(*sticks));
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
