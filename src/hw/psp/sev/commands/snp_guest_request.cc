// SNP_GUEST_REQUEST (AMD-ASPFW sev_mcmd.c snp_mcmd_guest_request; SNP-FACTS.md §2.4, §3). The
// mailbox-level checks only: the prologue (reserved bits of the three addresses ->
// INVALID_PARAM, SNP not INIT, GCTX not Context -> INVALID_GUEST); guest not RUNNING ->
// INVALID_GUEST_STATE; the request or response page not covered -> INVALID_ADDRESS; the response
// page not in Firmware state -> INVALID_PAGE_STATE, or not 4 KiB -> INVALID_PAGE_SIZE.
// The messages themselves (attestation reports, derived keys) are issue 10's: a request that
// passes the checks answers UNSUPPORTED rather than pretending.
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_guest_request { u64 gctx_paddr; u64 req_paddr; u64 res_paddr; }
SevStatus SevFirmware::cmd_snp_guest_request(Bytes& buf) {
  const uint64_t req = load_le<uint64_t>(buf.data() + 8);
  const uint64_t rsp = load_le<uint64_t>(buf.data() + 16);
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(load_le<uint64_t>(buf.data()),
                                  !snp_addr_reserved(req) && !snp_addr_reserved(rsp), &g);
      st != SevStatus::Success)
    return st;
  if (g->state != SnpGuestState::Running) return SevStatus::InvalidGuestState;
  SysPhysAddr pa;
  rmp::RmpEntry re, se;
  if (SevStatus st = snp_rmp_read(req, &pa, &re); st != SevStatus::Success) return st;
  if (SevStatus st = snp_rmp_read(rsp, &pa, &se); st != SevStatus::Success) return st;
  if (rmp::rmp_entry_get_state(se) != rmp::PageState::Firmware) return SevStatus::InvalidPageState;
  if (se.page_size_2m || re.page_size_2m) return SevStatus::InvalidPageSize;
  return SevStatus::Unsupported;
}

}  // namespace cbit::hw::psp::sev
