// SNP_PLATFORM_STATUS (AMD-ASPFW sev_mcmd.c snp_mcmd_platform_status; Linux struct
// sev_data_snp_status, SNP-FACTS.md §2.4). The buffer names a page the firmware writes 0x20
// bytes into: the status may not cross a page (INVALID_PARAM) and, once SNP is initialised, the
// page must be Firmware or Hypervisor-owned (INVALID_PAGE_STATE), so the firmware never writes
// a guest's page.
//   0x00 api_major, 0x01 api_minor, 0x02 state, 0x03 bit0 is_rmp_init, bit1
//   ALIAS_CHECK_COMPLETE, 0x04 build_id, 0x08 flags (mask_chip_id, mask_chip_key, vlek_en,
//   feature_info, rapl_dis, ciphertext_hiding_cap, ciphertext_hiding_en), 0x0C guest_count,
//   0x10 current TCB, 0x18 reported TCB.
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

SevStatus SevFirmware::cmd_snp_platform_status(Bytes& buf) {
  const uint64_t addr = load_le<uint64_t>(buf.data());
  if ((strip_cbit(addr) & (kPageSize - 1)) + kSnpPlatformStatusSize > kPageSize)
    return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Uninit) {
    SysPhysAddr pa;
    rmp::RmpEntry e;
    if (SevStatus st = snp_rmp_read(addr, &pa, &e); st != SevStatus::Success) return st;
    const rmp::PageState s = rmp::rmp_entry_get_state(e);
    if (s != rmp::PageState::Firmware && s != rmp::PageState::Hypervisor)
      return SevStatus::InvalidPageState;
  }
  Bytes out(kSnpPlatformStatusSize, 0);
  out[0] = cfg_.api_major;
  out[1] = cfg_.api_minor;
  out[2] = static_cast<uint8_t>(snp_state_);
  // bit 1: the alias check (BadRAM mitigation) ran at SNP_INIT and found none
  // (hw/psp/sev/alias_check.h; firmware 1.55.22 and later).
  out[3] = (rmp_initialized_ ? 1 : 0) | (alias_check_complete_ ? 2 : 0);
  store_le<uint32_t>(out.data() + 4, cfg_.build);
  uint32_t flags = 0;
  if (mask_chip_id_) flags |= 1u << 0;
  if (mask_chip_key_) flags |= 1u << 1;
  if (snp_vlek_loaded()) flags |= 1u << 2;
  flags |= 1u << 3;  // SNP_FEATURE_INFO is part of the ABI (the id is known)
  if (snp_init_flags_ & kSnpInitRaplDis) flags |= 1u << 4;
  if (snp_tcb_.ciphertext_hiding) flags |= 1u << 5;
  if (snp_init_flags_ & kSnpInitCiphertextHidingEn) flags |= 1u << 6;
  store_le(out.data() + 8, flags);
  store_le(out.data() + 0x0C, static_cast<uint32_t>(snp_guests_.size()));
  store_le(out.data() + 0x10, snp_tcb_.tcb.encode(snp_tcb_.layout));
  const ::cbit::psp::TcbVersion reported = reported_tcb_set_ ? reported_tcb_ : committed_tcb_;
  store_le(out.data() + 0x18, reported.encode(snp_tcb_.layout));
  return host_write(addr, out);
}

}  // namespace cbit::hw::psp::sev
