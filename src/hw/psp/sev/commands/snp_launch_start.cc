// SNP_LAUNCH_START (AMD-ASPFW sev_mcmd.c snp_mcmd_launch_start; SNP-FACTS.md §2.4, §2.5).
// Checks in ASPFW's order: reserved bits (GCTX, MA GCTX, flags 31:2) -> INVALID_PARAM; SNP not
// INIT -> INVALID_PLATFORM_STATE; GCTX not Context -> INVALID_GUEST; guest not INIT ->
// INVALID_GUEST_STATE; MA_EN: the migration agent's GCTX not Context -> INVALID_GUEST; then the
// policy -> POLICY_FAILURE: MA_EN without MIGRATE_MA, bit 17 (MBO) clear, SMT clear while SMT
// is on, ABI major.minor above the firmware's, reserved bits 63:26 set, and the bits this
// firmware does not offer (CXL_ALLOW, MEM_AES_256_XTS, RAPL_DIS without SNP_INIT_EX RAPL_DIS,
// CIPHERTEXT_HIDING without ciphertext hiding enabled at SNP_INIT_EX, PAGE_SWAP_DISABLE before
// ABI 1.58).
// Migration agents are not modelled: MA_EN with a valid agent answers UNSUPPORTED.
// Then the firmware draws VMPCK0-3, the VMRK and the REPORT_ID from the SP's RNG (the VEK seed
// was drawn at GCTX_CREATE and is loaded at ACTIVATE), zeroes the launch digest, and the guest
// enters LAUNCH.
#include "hw/psp/secure_processor.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::psp::sev {

// struct sev_data_snp_launch_start { u64 gctx_paddr; u64 policy; u64 ma_gctx_paddr;
//   u32 ma_en:1, imi_en:1, rsvd:30; u32 desired_tsc_khz; u8 gosvw[16]; }
SevStatus SevFirmware::cmd_snp_launch_start(Bytes& buf) {
  const uint8_t* b = buf.data();
  const uint64_t gctx = load_le<uint64_t>(b);
  const uint64_t policy = load_le<uint64_t>(b + 8);
  const uint64_t ma_gctx = load_le<uint64_t>(b + 16);
  const uint32_t flags = load_le<uint32_t>(b + 24);
  const bool ma_en = flags & 1, imi_en = flags & 2;
  const bool rsvd_ok = !(flags & ~3u) && !(ma_en && snp_addr_reserved(ma_gctx));
  SnpGuestContext* g = nullptr;
  if (SevStatus st = snp_prologue(gctx, rsvd_ok, &g); st != SevStatus::Success) return st;
  if (g->state != SnpGuestState::Init) return SevStatus::InvalidGuestState;
  if (ma_en) {
    SysPhysAddr pa;
    rmp::RmpEntry e;
    if (SevStatus st = snp_rmp_read(ma_gctx, &pa, &e); st != SevStatus::Success) return st;
    if (rmp::rmp_entry_get_state(e) != rmp::PageState::Context || !snp_guest(ma_gctx))
      return SevStatus::InvalidGuest;
  }
  using enum SnpPolicyBit;
  const uint8_t maj = snp_policy_abi_major(policy), min = snp_policy_abi_minor(policy);
  const bool abi_too_new = cfg_.api_major < maj || (cfg_.api_major == maj && cfg_.api_minor < min);
  const bool fw_lacks =
      snp_policy_has(policy, CxlAllow) || snp_policy_has(policy, MemAes256Xts) ||
      (snp_policy_has(policy, RaplDis) && !(snp_init_flags_ & kSnpInitRaplDis)) ||
      (snp_policy_has(policy, CiphertextHiding) &&
       !(snp_init_flags_ & kSnpInitCiphertextHidingEn)) ||
      (snp_policy_has(policy, PageSwapDisable) && (cfg_.api_major == 1 && cfg_.api_minor < 58));
  if ((ma_en && !snp_policy_has(policy, MigrateMa)) || !snp_policy_has(policy, Mbo) ||
      (!snp_policy_has(policy, Smt) && snp_tcb_.smt_enabled) || abi_too_new ||
      (policy & kSnpPolicyReservedMask) || fw_lacks)
    return SevStatus::PolicyFailure;
  if (ma_en) return SevStatus::Unsupported;

  g->policy = policy;
  g->imi_en = imi_en;
  for (auto& k : g->vmpck) sp_.rng_.generate(kSnpVmpckLabel, k);
  sp_.rng_.generate(kSnpVmrkLabel, g->vmrk);
  sp_.rng_.generate(kSnpReportIdLabel, g->report_id);
  g->report_id_ma.fill(0xFF);  // no migration agent
  std::copy_n(b + 32, 16, g->gosvw.begin());
  g->desired_tsc_khz = load_le<uint32_t>(b + 28);
  g->ld = std::make_unique<::cbit::psp::digest::SnpLaunchDigest>();
  g->state = SnpGuestState::Launch;
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
