// SNP_ACTIVATE (AMD-ASPFW sev_mcmd.c snp_mcmd_activate, mcmd_activate_common; SNP-FACTS.md
// §1.1, §2.4). Checks in ASPFW's order: the prologue; guest not in LAUNCH or RUNNING ->
// INVALID_GUEST_STATE; ASID outside the SNP/SEV-ES range (1 .. min_sev_asid-1) -> INVALID_ASID;
// the RMP's per-ASID counter non-zero (pages still assigned to that ASID) -> INVALID_CONFIG;
// POLICY.SINGLE_SOCKET on a multi-socket platform -> POLICY_FAILURE; then as SEV's ACTIVATE:
// ASID bound to another guest -> ASID_OWNED, guest already bound -> ACTIVE, ASID Dirty ->
// DFFLUSH_REQUIRED.
// The guest's VEK goes into the memory controller's slot for the ASID. A guest still launching
// is `pending` (the ASID is not runnable until LAUNCH_FINISH); a running guest's ASID is InUse at
// once. VMRUN asks the same question for SNP and SEV guests (SevFirmware::asid_runnable).
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_activate { u64 gctx_paddr; u32 asid; }
SevStatus SevFirmware::cmd_snp_activate(Bytes& buf) {
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(load_le<uint64_t>(buf.data()), true, &g);
      st != SevStatus::Success)
    return st;
  const uint32_t asid = load_le<uint32_t>(buf.data() + 8);
  if (g->state != SnpGuestState::Launch && g->state != SnpGuestState::Running)
    return SevStatus::InvalidGuestState;
  if (asid == 0 || asid > max_asid() || asid >= cfg_.min_sev_asid) return SevStatus::InvalidAsid;
  if (snp_.rmp->table().asid_count(asid) != 0) return SevStatus::InvalidConfig;
  if (snp_policy_has(g->policy, SnpPolicyBit::SingleSocket) && snp_tcb_.sockets > 1)
    return SevStatus::PolicyFailure;
  AsidState& as = asids_[asid - 1];
  if (as == AsidState::InUse || as == AsidState::Allocated) return SevStatus::AsidOwned;
  if (g->has_asid()) return SevStatus::Active;
  if (as == AsidState::Dirty) return SevStatus::DfflushRequired;
  g->asid = asid;
  snp_load_key(*g);
  if (g->state == SnpGuestState::Running) {
    g->active = true;
    as = AsidState::InUse;
  } else {
    g->pending = true;
    as = AsidState::Allocated;
  }
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
