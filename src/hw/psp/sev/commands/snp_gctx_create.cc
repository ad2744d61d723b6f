// SNP_GCTX_CREATE (AMD-ASPFW sev_mcmd.c snp_mcmd_gctx_create; SNP-FACTS.md §2.3). Checks in
// ASPFW's order: reserved address bits -> INVALID_PARAM; SNP not INIT ->
// INVALID_PLATFORM_STATE; the page not in Firmware state -> INVALID_PAGE_STATE; not a 4 KiB RMP
// entry -> INVALID_PAGE_SIZE; no room for another context -> RESOURCE_LIMIT (this model's
// bound, SevPlatformConfig::max_guests).
// Then the page is zeroed, RMP.VMSA set (Firmware -> Context), and a context is created in the
// firmware keyed by the page's address: state INIT, no ASID, a fresh VEK seed from the SP's
// RNG, LAUNCH_TCB = the committed TCB (snp_guest.h says why the context is not in the page).
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_addr { u64 gctx_paddr; }
SevStatus SevFirmware::cmd_snp_gctx_create(Bytes& buf) {
  const uint64_t gctx = load_le<uint64_t>(buf.data());
  if (snp_addr_reserved(gctx)) return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Init) return SevStatus::InvalidPlatformState;
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(gctx, &pa, &e); st != SevStatus::Success) return st;
  if (rmp::rmp_entry_get_state(e) != rmp::PageState::Firmware) return SevStatus::InvalidPageState;
  if (e.page_size_2m) return SevStatus::InvalidPageSize;
  if (snp_guests_.size() >= cfg_.max_guests) return SevStatus::ResourceLimit;

  const Bytes zero(kPageSize, 0);
  snoop(pa, kPageSize, true);
  sp_.mc_.write(pa, zero, EncTag::none());
  SnpGuestContext g;
  g.gctx_paddr = pa.value;
  sp_.rng_.generate(kSnpVekLabel, g.vek);
  g.launch_tcb = committed_tcb_;
  snp_guests_.erase(pa.value);
  snp_guests_.emplace(pa.value, std::move(g));
  e.vmsa = true;  // Firmware -> Context
  snp_rmp_write(pa, e);
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
