// SNP_DBG_DECRYPT and SNP_DBG_ENCRYPT (AMD-ASPFW sev_mcmd.c snp_mcmd_dbg_decrypt /
// snp_mcmd_dbg_encrypt; SNP-FACTS.md §2.4). One 4 KiB page. Checks: the prologue (reserved bits
// of the three addresses -> INVALID_PARAM, SNP not INIT, GCTX not Context -> INVALID_GUEST);
// POLICY.DEBUG clear -> POLICY_FAILURE; no ASID -> INACTIVE; the guest page not in Pre-Guest,
// Pre-Swap, Guest-Invalid or Guest-Valid state -> INVALID_PAGE_STATE, or of another ASID ->
// INVALID_PAGE_OWNER; the host-side page (DECRYPT's destination, ENCRYPT's source) not in
// Firmware state -> INVALID_PAGE_STATE: the plaintext of a guest page only ever lands in a page
// the host cannot read through the direct map without reclaiming it first.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_dbg { u64 gctx_paddr; u64 src_addr; u64 dst_addr; }
SevStatus SevFirmware::cmd_snp_dbg(Bytes& buf, bool encrypt) {
  const uint64_t src = load_le<uint64_t>(buf.data() + 8);
  const uint64_t dst = load_le<uint64_t>(buf.data() + 16);
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(load_le<uint64_t>(buf.data()),
                                  !snp_addr_reserved(src) && !snp_addr_reserved(dst), &g);
      st != SevStatus::Success)
    return st;
  if (!snp_policy_has(g->policy, SnpPolicyBit::Debug)) return SevStatus::PolicyFailure;
  if (g->inactive()) return SevStatus::Inactive;
  const uint64_t guest_addr = encrypt ? dst : src, host_addr = encrypt ? src : dst;
  SysPhysAddr gpa, hpa;
  rmp::RmpEntry ge, he;
  if (SevStatus st = snp_rmp_read(guest_addr, &gpa, &ge); st != SevStatus::Success) return st;
  using rmp::PageState;
  const PageState gs = rmp::rmp_entry_get_state(ge);
  if (gs != PageState::PreGuest && gs != PageState::PreSwap && gs != PageState::GuestInvalid &&
      gs != PageState::GuestValid)
    return SevStatus::InvalidPageState;
  if (ge.asid != g->asid) return SevStatus::InvalidPageOwner;
  if (SevStatus st = snp_rmp_read(host_addr, &hpa, &he); st != SevStatus::Success) return st;
  if (rmp::rmp_entry_get_state(he) != PageState::Firmware) return SevStatus::InvalidPageState;

  Bytes page(kPageSize);
  SevStatus st = encrypt ? host_read(host_addr, page) : snp_guest_read(gpa, page, g->asid);
  if (st == SevStatus::Success)
    st = encrypt ? snp_guest_write(gpa, page, g->asid) : host_write(host_addr, page);
  OPENSSL_cleanse(page.data(), page.size());
  return st;
}

}  // namespace cbit::hw::psp::sev
