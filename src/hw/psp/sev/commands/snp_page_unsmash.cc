// SNP_PAGE_UNSMASH (AMD-ASPFW sev_mcmd.c snp_mcmd_page_unsmash): the inverse of PSMASH, 512
// 4 KiB entries folded back into one 2 MiB entry. Checks in ASPFW's order: reserved bits ->
// INVALID_PARAM; not 2 MiB aligned -> INVALID_PARAM; SNP not INIT -> INVALID_PLATFORM_STATE; the
// region not covered or overlapping the RMP -> INVALID_ADDRESS; then for every entry: 4 KiB,
// Immutable, not a VMSA, ASID non-zero, and all in the same state and ASID with the same VMPL
// permissions and consecutive GPAs starting 2 MiB aligned -> else INVALID_PAGE_STATE.
// On success all 512 entries become the 2 MiB page's (Page_Size=1, consecutive GPAs), as the
// RMP hardware keeps a 2 MiB page (hw/rmp/rmp_insn.h); the region's subpage count drops to 0.
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_page_unsmash { u64 paddr; }
SevStatus SevFirmware::cmd_snp_page_unsmash(Bytes& buf) {
  const uint64_t raw = load_le<uint64_t>(buf.data());
  if (snp_addr_reserved(raw & ~1ull)) return SevStatus::InvalidParam;
  const uint64_t base = strip_cbit(raw & ~1ull);
  if (base % rmp::k2MiB) return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Init) return SevStatus::InvalidPlatformState;
  if (!snp_.rmp || !snp_.rmp->enabled()) return SevStatus::InvalidAddress;
  rmp::RmpTable& t = snp_.rmp->table();
  if (t.overlaps_table(SysPhysAddr(base), rmp::k2MiB)) return SevStatus::InvalidAddress;
  rmp::RmpEntry first;
  for (uint64_t i = 0; i < rmp::kPagesPer2MiB; ++i) {
    SysPhysAddr pa;
    rmp::RmpEntry e;
    if (SevStatus st = snp_rmp_read(base + i * kPageSize, &pa, &e); st != SevStatus::Success)
      return st;
    if (e.page_size_2m || !e.immutable || e.vmsa || e.asid == 0) return SevStatus::InvalidPageState;
    if (i == 0) {
      if (e.gpa % rmp::k2MiB) return SevStatus::InvalidPageState;
      first = e;
      continue;
    }
    if (rmp::rmp_entry_get_state(e) != rmp::rmp_entry_get_state(first) || e.asid != first.asid ||
        e.gpa != first.gpa + i * kPageSize || e.vmpl_perms != first.vmpl_perms)
      return SevStatus::InvalidPageState;
  }
  first.page_size_2m = true;
  snp_rmp_write(SysPhysAddr(base), first);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
