// An SNP guest context inside the firmware (ASPFW guest_context_page_t: the guest's policy,
// state, ASID binding, VEK seed, VMPCKs, launch digest, ID block digests, host data).
//
// On real parts this structure lives in the GCTX page itself, encrypted with a key only the
// Secure Processor holds. cbit keeps it in the firmware object keyed by the GCTX page's system
// physical address and writes nothing into the page but zeros (GCTX_CREATE clears it, as ASPFW
// does): the page's RMP state (Context, firmware-owned) is what makes it the guest's context,
// and the host can neither write it (RMP) nor learn anything from reading it. docs/sev-firmware.md
// "SNP" explains the choice. Nothing returns the keys.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "crypto/hash.h"
#include "hw/psp/sev/snp_api.h"
#include "psp/digest/snp_launch_digest.h"
#include "psp/report/tcb_version.h"

namespace cbit::hw::psp::sev {

struct SnpGuestContext {
  uint64_t gctx_paddr = 0;
  uint64_t policy = 0;
  SnpGuestState state = SnpGuestState::Init;
  uint32_t asid = 0;
  bool pending = false;  // ACTIVATE before LAUNCH_FINISH: key loaded, ASID not yet runnable
  bool active = false;
  std::array<uint8_t, 32> vek{};  // VEK seed: data and tweak key (AES-128 each)
  std::array<std::array<uint8_t, 32>, 4> vmpck{};
  // Messages exchanged under each VMPCK (ASPFW msg_count0..3): a request must carry count + 1,
  // its response count + 2, and the count then moves on by two (SNP_GUEST_REQUEST).
  std::array<uint64_t, 4> msg_count{};
  std::array<uint8_t, 32> vmrk{};
  std::array<uint8_t, 32> report_id{};
  std::array<uint8_t, 32> report_id_ma{};
  std::array<uint8_t, 16> gosvw{};
  uint32_t desired_tsc_khz = 0;
  bool imi_en = false;
  std::unique_ptr<::cbit::psp::digest::SnpLaunchDigest> ld;  // from LAUNCH_START
  ::cbit::psp::TcbVersion launch_tcb;
  // LAUNCH_FINISH.
  bool id_block_en = false, author_key_en = false, vcek_disabled = false;
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 0x60> id_block{};
  crypto::Sha384Digest id_key_digest{}, author_key_digest{};

  SnpGuestContext() = default;
  SnpGuestContext(const SnpGuestContext&) = delete;
  SnpGuestContext& operator=(const SnpGuestContext&) = delete;
  SnpGuestContext(SnpGuestContext&&) = default;
  SnpGuestContext& operator=(SnpGuestContext&&) = default;
  ~SnpGuestContext();
  bool has_asid() const { return pending || active; }
  bool inactive() const { return !has_asid(); }
};

}  // namespace cbit::hw::psp::sev
