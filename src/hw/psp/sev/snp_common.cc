// What every SNP command shares (AMD-ASPFW sev_mcmd.c; SNP-FACTS.md §2.3): the reserved-bit
// check of SNP addresses, the RMP look-ups through the firmware's view of the table, the
// command prologue in ASPFW's order, key loading and the ASID release on decommission.
#include <openssl/crypto.h>

#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_insn.h"

namespace cbit::hw::psp::sev {

SnpGuestContext::~SnpGuestContext() {
  OPENSSL_cleanse(vek.data(), vek.size());
  for (auto& k : vmpck) OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(vmrk.data(), vmrk.size());
}

void SevFirmware::attach_snp(const SnpPlatform& platform, const SnpTcbConfig& tcb) {
  snp_ = platform;
  snp_tcb_ = tcb;
  committed_tcb_ = tcb.committed_tcb.value_or(tcb.tcb);
  reported_tcb_set_ = false;
  // A new TCB is a new boot: the sticks are derived again from the chip secret.
  vcek_sticks_.reset();
  vcek_key_.reset();
}

::cbit::psp::TcbVersion SevFirmware::snp_committed_tcb() const { return committed_tcb_; }

bool SevFirmware::snp_addr_reserved(uint64_t paddr) const {
  const uint64_t a = strip_cbit(paddr);
  return (a & (kPageSize - 1)) != 0 || (a >> 52) != 0;
}

SevStatus SevFirmware::snp_rmp_read(uint64_t paddr, SysPhysAddr* pa, rmp::RmpEntry* e) const {
  if (!snp_.rmp || !snp_.rmp->enabled()) return SevStatus::InvalidAddress;
  const SysPhysAddr a(strip_cbit(paddr) & kPageMask);
  const rmp::RmpTable& t = snp_.rmp->table();
  if (!t.covers(a) || !sp_.mc_.is_backed(a, kPageSize)) return SevStatus::InvalidAddress;
  // The RMP's own pages are Firmware pages no command may take (donate, reclaim, write).
  if (t.overlaps_table(a, kPageSize)) return SevStatus::InvalidAddress;
  *pa = a;
  *e = t.read(a);
  return SevStatus::Success;
}

void SevFirmware::snp_rmp_write(SysPhysAddr pa, const rmp::RmpEntry& e) {
  rmp::RmpTable& t = snp_.rmp->table();
  const uint64_t pages = e.page_size_2m ? rmp::kPagesPer2MiB : 1;
  for (uint64_t i = 0; i < pages; ++i) {
    rmp::RmpEntry x = e;
    if (i) x.gpa = e.assigned ? e.gpa + i * kPageSize : 0;
    rmp::commit_entry(t, SysPhysAddr(pa.value + i * kPageSize), x);
  }
}

SnpGuestContext* SevFirmware::snp_guest(uint64_t gctx_paddr) {
  auto it = snp_guests_.find(strip_cbit(gctx_paddr) & kPageMask);
  return it == snp_guests_.end() ? nullptr : &it->second;
}

std::optional<crypto::Sha384Digest> SevFirmware::snp_launch_digest(uint64_t gctx_paddr) {
  const SnpGuestContext* g = snp_guest(gctx_paddr);
  if (!g || !g->ld) return std::nullopt;
  return g->ld->digest();
}

SevStatus SevFirmware::snp_prologue(uint64_t gctx_paddr, bool reserved_ok, SnpGuestContext** g) {
  if (!reserved_ok || snp_addr_reserved(gctx_paddr)) return SevStatus::InvalidParam;
  if (snp_state_ != SnpPlatformState::Init) return SevStatus::InvalidPlatformState;
  SysPhysAddr pa;
  rmp::RmpEntry e;
  if (SevStatus st = snp_rmp_read(gctx_paddr, &pa, &e); st != SevStatus::Success) return st;
  *g = snp_guest(gctx_paddr);
  if (rmp::rmp_entry_get_state(e) != rmp::PageState::Context || !*g) return SevStatus::InvalidGuest;
  return SevStatus::Success;
}

void SevFirmware::snp_load_key(const SnpGuestContext& g) {
  sp_.mc_.load_key(
      KeyId::for_asid(Asid(g.asid)),
      KeyMaterial(KeyLength::Aes128, ByteSpan(g.vek.data(), 16), ByteSpan(g.vek.data() + 16, 16)),
      sp_.slot_access());
  // Ciphertext hiding for this ASID: the guest asked (policy bit 24) and SNP_INIT_EX enabled it
  // (LAUNCH_START refused the policy otherwise). The memory controller answers other keys'
  // reads of the guest's pages with 0xFF from now on.
  sp_.mc_.set_ciphertext_hidden(Asid(g.asid),
                                snp_policy_has(g.policy, SnpPolicyBit::CiphertextHiding) &&
                                    (snp_init_flags_ & kSnpInitCiphertextHidingEn),
                                sp_.slot_access());
}

// ASPFW snp_decommission_common: an ASID that ran becomes Dirty (every core must WBINVD and
// DF_FLUSH before its reuse); one that never ran goes back to Clean.
void SevFirmware::snp_deactivate(SnpGuestContext& g) {
  if (g.inactive() || g.asid == 0 || g.asid > asids_.size()) return;
  sp_.mc_.set_ciphertext_hidden(Asid(g.asid), false, sp_.slot_access());
  AsidState& as = asids_[g.asid - 1];
  if (as == AsidState::InUse) {
    as = AsidState::Dirty;
    wbinvd_.clear_all();
  } else if (as == AsidState::Allocated) {
    as = AsidState::Clean;
  }
  g.asid = 0;
  g.pending = g.active = false;
}

SevStatus SevFirmware::snp_guest_write(SysPhysAddr pa, ByteSpan in, uint32_t asid) {
  if (!sp_.mc_.is_backed(pa, in.size())) return SevStatus::InvalidAddress;
  snoop(pa, in.size(), true);
  sp_.mc_.write(pa, in, EncTag{true, KeyId::for_asid(Asid(asid))});
  return SevStatus::Success;
}

SevStatus SevFirmware::snp_guest_read(SysPhysAddr pa, MutByteSpan out, uint32_t asid) {
  if (!sp_.mc_.is_backed(pa, out.size())) return SevStatus::InvalidAddress;
  snoop(pa, out.size(), false);
  sp_.mc_.read(pa, out, EncTag{true, KeyId::for_asid(Asid(asid))});
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
