// SNP_CONFIG (AMD-ASPFW sev_mcmd.c snp_mcmd_config; SNP-FACTS.md §2.4, §4). No platform-state
// check (ASPFW has none). Reserved fields -> INVALID_PARAM; REPORTED_TCB 0 means the committed
// TCB; any component above the committed TCB -> INVALID_PARAM (virtee/snphost#127: `config set`
// answers InvalidParam), since the VCEK hashstick for a TCB derives only older ones. Sets the
// reported TCB (PLATFORM_STATUS 0x18) and MASK_CHIP_ID / MASK_CHIP_KEY.
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {
namespace {

bool above(const ::cbit::psp::TcbVersion& a, const ::cbit::psp::TcbVersion& b) {
  return a.fmc.value_or(0) > b.fmc.value_or(0) || a.bootloader > b.bootloader || a.tee > b.tee ||
         a.snp > b.snp || a.microcode > b.microcode;
}

}  // namespace

// struct sev_data_snp_config { u64 reported_tcb; u32 mask_chip_id:1, mask_chip_key:1,
//                              rsvd:30; u8 rsvd1[52]; }
SevStatus SevFirmware::cmd_snp_config(Bytes& buf) {
  const uint8_t* b = buf.data();
  const uint64_t raw = load_le<uint64_t>(b);
  const uint32_t flags = load_le<uint32_t>(b + 8);
  bool rsvd = flags & ~3u;
  for (size_t i = 12; i < kSnpConfigLen; ++i) rsvd |= b[i] != 0;
  if (rsvd) return SevStatus::InvalidParam;
  ::cbit::psp::TcbVersion tcb = committed_tcb_;
  if (raw != 0) {
    tcb = ::cbit::psp::TcbVersion::decode(raw, snp_tcb_.layout);
    // Bytes the layout does not name (Milan/Genoa 2..5) must be zero: a TCB with them set is
    // not one the firmware could derive.
    if (tcb.encode(snp_tcb_.layout) != raw || above(tcb, committed_tcb_))
      return SevStatus::InvalidParam;
  }
  reported_tcb_ = tcb;
  reported_tcb_set_ = true;
  mask_chip_id_ = flags & 1;
  mask_chip_key_ = flags & 2;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
