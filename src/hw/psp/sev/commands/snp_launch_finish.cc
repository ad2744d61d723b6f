// SNP_LAUNCH_FINISH (AMD-ASPFW sev_mcmd.c snp_mcmd_launch_finish; SNP-FACTS.md §2.4). Checks
// in ASPFW's order: reserved bits (GCTX, flags 63:3) -> INVALID_PARAM; SNP not INIT ->
// INVALID_PLATFORM_STATE; GCTX not Context -> INVALID_GUEST; guest not LAUNCH (or an IMI launch)
// -> INVALID_GUEST_STATE; no ASID -> INACTIVE; with ID_BLOCK_EN: the ID block's LD != the
// launch digest -> BAD_MEASUREMENT (what users meet: "fw_error=11 'Bad measurement'"), its
// policy != the guest's -> POLICY_FAILURE, then the ID auth structure (psp/snp/id_block.h):
// algorithms -> INVALID_PARAM, curve / point / signatures -> BAD_SIGNATURE (psp/snp/id_block.h).
// Then the firmware keeps HOST_DATA, the ID block, ID_KEY_DIGEST and AUTHOR_KEY_DIGEST (SHA-384
// of the 0x404-byte keys) for the attestation report, makes a pending ASID InUse (VMRUN may now
// run it) and the guest RUNNING.
#include "hw/psp/sev/sev_firmware.h"
#include "psp/snp/id_block.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_launch_finish { u64 gctx_paddr; u64 id_block_paddr; u64 id_auth_paddr;
//   u8 id_block_en:1, auth_key_en:1, vcek_disabled:1; u64 rsvd:61 (one u64 with the flags);
//   u8 host_data[32]; }
SevStatus SevFirmware::cmd_snp_launch_finish(Bytes& buf) {
  const uint8_t* b = buf.data();
  const uint64_t id_block_paddr = load_le<uint64_t>(b + 8);
  const uint64_t id_auth_paddr = load_le<uint64_t>(b + 16);
  const uint64_t flags = load_le<uint64_t>(b + 24);
  const bool id_block_en = flags & 1, auth_key_en = flags & 2, vcek_disabled = flags & 4;
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(load_le<uint64_t>(b), !(flags >> 3), &g);
      st != SevStatus::Success)
    return st;
  if (g->state != SnpGuestState::Launch || g->imi_en) return SevStatus::InvalidGuestState;
  if (g->inactive()) return SevStatus::Inactive;
  namespace snp = ::cbit::psp::snp;
  crypto::Sha384Digest id_key_digest{}, author_key_digest{};
  std::array<uint8_t, snp::kIdBlockSize> id_block{};
  if (id_block_en) {
    Bytes auth(snp::kIdAuthSize);
    if (SevStatus st = host_read(id_block_paddr, id_block); st != SevStatus::Success) return st;
    if (SevStatus st = host_read(id_auth_paddr, auth); st != SevStatus::Success) return st;
    // psp/snp/id_block.h runs ASPFW's order: LD, policy, algorithms, signatures.
    const snp::IdBlockCheck c =
        snp::snp_id_block_verify(id_block, auth, g->ld->digest(), g->policy, auth_key_en);
    if (c.status != SevStatus::Success) return c.status;
    id_key_digest = c.id_key_digest;
    author_key_digest = auth_key_en ? c.author_key_digest : crypto::Sha384Digest{};
  }
  g->id_block_en = id_block_en;
  g->author_key_en = id_block_en && auth_key_en;
  g->vcek_disabled = vcek_disabled;
  g->id_block = id_block;
  g->id_key_digest = id_key_digest;
  g->author_key_digest = author_key_digest;
  std::copy_n(b + 32, 32, g->host_data.begin());
  if (g->pending) {
    g->pending = false;
    g->active = true;
    asids_[g->asid - 1] = AsidState::InUse;
  }
  g->state = SnpGuestState::Running;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
