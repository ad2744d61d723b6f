// SNP_PAGE_RECLAIM (AMD-ASPFW sev_mcmd.c snp_mcmd_page_reclaim; SNP-FACTS.md §2.4). Bit 0 of the
// address is the page size. Checks in ASPFW's order: reserved bits 11:1 -> INVALID_PARAM; SNP not
// INIT -> INVALID_PLATFORM_STATE; no RMP entry -> INVALID_ADDRESS; RMP page size != the size
// asked -> INVALID_PAGE_SIZE; a 2 MiB page not 2 MiB aligned -> INVALID_ADDRESS; Immutable
// already clear -> SUCCESS with nothing changed. Then the transitions, Immutable cleared:
// Firmware -> Reclaim, Metadata -> Reclaim, Pre-Guest -> Guest-Invalid, Pre-Swap -> Guest-Valid;
// any other state (HV_Fixed, Context, Firmware-IOMMU) -> INVALID_PAGE_STATE: a guest context is
// decommissioned first, and HV_Fixed pages stay fixed. A 2 MiB page changes in all 512 entries.
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_page_reclaim { u64 paddr; } (bit 0: 2 MiB)
SevStatus SevFirmware::cmd_snp_page_reclaim(Bytes& buf) {
  const uint64_t raw = load_le<uint64_t>(buf.data());
  const bool size_2m = raw & 1;
  if (snp_addr_reserved(raw & ~1ull)) return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Init) return SevStatus::InvalidPlatformState;
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(raw & ~1ull, &pa, &e); st != SevStatus::Success) return st;
  if (e.page_size_2m != size_2m) return SevStatus::InvalidPageSize;
  if (size_2m && pa.value % rmp::k2MiB) return SevStatus::InvalidAddress;
  if (!e.immutable) return SevStatus::Success;
  using rmp::PageState;
  switch (rmp::rmp_entry_get_state(e)) {
    case PageState::Metadata:
      e.gpa = 0;
      [[fallthrough]];
    case PageState::Firmware:
    case PageState::PreGuest:
    case PageState::PreSwap:
      e.immutable = false;
      break;
    default:
      return SevStatus::InvalidPageState;
  }
  snp_rmp_write(pa, e);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
