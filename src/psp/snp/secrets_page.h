// The SEV-SNP secrets page (SNP ABI "Secrets Page Format", version 3; AMD-ASPFW
// snp_launch_update_secrets_page_t; Linux arch/x86/include/asm/sev.h struct snp_secrets_page;
// SPEC-FACTS.md "SNP: secrets page").
//
// 0x000 u32 VERSION · 0x004 u32 bit 0 IMI_EN · 0x008 u32 FMS · 0x00C reserved · 0x010 GOSVW[16] ·
// 0x020 VMPCK0 · 0x040 VMPCK1 · 0x060 VMPCK2 · 0x080 VMPCK3 (32 bytes each) · 0x0A0 guest OS area
// (96 bytes; Linux: u32 msg_seqno_0..3, u64 ap_jump_table_pa, rsvd[40], guest_usage[32]) ·
// 0x100 VMSA tweak bitmap[64] · 0x140 u64 SVSM base · 0x148 u64 SVSM size · 0x150 u64 SVSM CAA ·
// 0x158 u32 SVSM max version · 0x15C u8 SVSM guest VMPL · 0x160 u32 TSC_FACTOR.
//
// The firmware builds the page at SNP_LAUNCH_UPDATE (page type SECRETS) with the VMPCKs it
// generated at SNP_LAUNCH_START; the page then lives only in the guest's encrypted memory. The
// keys are never kept here, returned by value or logged: the guest reads them from its own page
// (vmpck() is a view into the page) and Linux wipes one on a failed request (wipe_vmpck).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "common/bytes.h"

namespace cbit::psp::snp {

inline constexpr size_t kSecretsPageSize = 4096;
inline constexpr uint32_t kSecretsPageVersion = 3;
inline constexpr size_t kVmpckSize = 32;
inline constexpr unsigned kVmpckCount = 4;

namespace secrets_off {
inline constexpr size_t kVersion = 0x000;
inline constexpr size_t kImiEn = 0x004;
inline constexpr size_t kFms = 0x008;
inline constexpr size_t kGosvw = 0x010;
inline constexpr size_t kVmpck0 = 0x020;
inline constexpr size_t kOsArea = 0x0A0;
inline constexpr size_t kMsgSeqno0 = 0x0A0;  // u32 msg_seqno_0..3
inline constexpr size_t kApJumpTablePa = 0x0B0;
inline constexpr size_t kVmsaTweakBitmap = 0x100;
inline constexpr size_t kSvsmBase = 0x140;
inline constexpr size_t kSvsmSize = 0x148;
inline constexpr size_t kSvsmCaa = 0x150;
inline constexpr size_t kSvsmMaxVersion = 0x158;
inline constexpr size_t kSvsmGuestVmpl = 0x15C;
inline constexpr size_t kTscFactor = 0x160;
}  // namespace secrets_off

using Vmpck = std::array<uint8_t, kVmpckSize>;

// What the firmware writes besides the keys.
struct SecretsPageInit {
  bool imi_en = false;
  uint32_t fms = 0;  // CPUID Fn1 EAX of the part
  std::array<uint8_t, 16> gosvw{};
  std::array<uint8_t, 64> vmsa_tweak_bitmap{};
  uint32_t tsc_factor = 0;  // Genoa: 200 (0.2 %)
};

// Firmware side: the page, with VMPCK0..3 copied in. The caller wipes its own copies.
Bytes snp_secrets_page_build(const SecretsPageInit& init,
                             std::span<const Vmpck, kVmpckCount> vmpcks);

// The public (non-key) fields, as the guest reads them.
struct SecretsPageInfo {
  uint32_t version = 0;
  bool imi_en = false;
  uint32_t fms = 0;
  std::array<uint8_t, 16> gosvw{};
  std::array<uint32_t, kVmpckCount> msg_seqno{};
  uint64_t ap_jump_table_pa = 0;
  std::array<uint8_t, 64> vmsa_tweak_bitmap{};
  uint64_t svsm_base = 0, svsm_size = 0, svsm_caa = 0;
  uint32_t svsm_max_version = 0;
  uint8_t svsm_guest_vmpl = 0;
  uint32_t tsc_factor = 0;
};
// nullopt when the page is not 4 KiB or its version is below 2 (Linux's sev-guest driver uses
// the layout of versions 2 and 3).
std::optional<SecretsPageInfo> snp_secrets_page_read(ByteSpan page);

// Guest side: VMPCK<index> as a view into the page (empty when index > 3 or the page is short).
// A key of all zeros is one the guest (or an SVSM) disabled.
ByteSpan vmpck(ByteSpan page, unsigned index);
bool vmpck_disabled(ByteSpan page, unsigned index);
// Linux snp_disable_vmpck: "Disabling VMPCK%d communication key to prevent IV reuse".
void wipe_vmpck(MutByteSpan page, unsigned index);
// The guest's message sequence counter for VMPCK<index> (os area), read and written in place.
uint32_t msg_seqno(ByteSpan page, unsigned index);
void set_msg_seqno(MutByteSpan page, unsigned index, uint32_t seqno);

}  // namespace cbit::psp::snp
