// SNP_GUEST_STATUS (AMD-ASPFW sev_mcmd.c snp_mcmd_guest_status). Checks in ASPFW's order:
// reserved GCTX bits -> INVALID_PARAM; the status would cross a page -> INVALID_PARAM; SNP not
// INIT -> INVALID_PLATFORM_STATE; GCTX not Context -> INVALID_GUEST; the status page neither
// Firmware nor Hypervisor-owned -> INVALID_PAGE_STATE.
// Output (0x18 bytes, ASPFW snp_guest_status_buffer_t): 0x00 u64 policy, 0x08 u32 asid (0 when
// none), 0x0C u8 state, 0x10 u32 bit0 vcek_dis.
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_guest_status { u64 gctx_paddr; u64 address; }
SevStatus SevFirmware::cmd_snp_guest_status(Bytes& buf) {
  const uint64_t gctx = load_le<uint64_t>(buf.data());
  const uint64_t addr = load_le<uint64_t>(buf.data() + 8);
  const bool fits = (strip_cbit(addr) & (kPageSize - 1)) + kSnpGuestStatusSize <= kPageSize;
  if (snp_addr_reserved(gctx)) return SevStatus::InvalidParam;
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(gctx, fits, &g); st != SevStatus::Success) return st;
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(addr, &pa, &e); st != SevStatus::Success) return st;
  const rmp::PageState s = rmp::rmp_entry_get_state(e);
  if (s != rmp::PageState::Firmware && s != rmp::PageState::Hypervisor)
    return SevStatus::InvalidPageState;
  Bytes out(kSnpGuestStatusSize, 0);
  store_le(out.data(), g->policy);
  store_le(out.data() + 8, g->has_asid() ? g->asid : 0u);
  out[0x0C] = static_cast<uint8_t>(g->state);
  store_le<uint32_t>(out.data() + 0x10, g->vcek_disabled ? 1u : 0u);
  return host_write(addr, out);
}

}  // namespace cbit::hw::psp::sev
