// The VLEK (Versioned Loaded Endorsement Key): a key AMD's KDS issues to a cloud provider for a
// chip at a TCB, which the provider loads with SNP_VLEK_LOAD so that reports are signed by a key
// the provider's certificate names instead of the chip's VCEK (AMD-ASPFW sev_mcmd.c
// snp_mcmd_vlek_load, sev_rmp.h vlek_wrapped_t; SNP-FACTS.md §2.4 VLEK_LOAD, §4).
//
// The wrapped VLEK (0x1B0 bytes): 0x000 IV[12] · 0x00C reserved[4] · 0x010 VLEK_WRAPPED[0x180]
// (eight 48-byte hashsticks, AES-256-GCM) · 0x190 u64 TCB_VERSION · 0x198 reserved[8] · 0x1A0
// AUTH_TAG[16]. The wrapping key is snp_nist_kdf(VCEK hashstick of that TCB,
// "vlek-wrapping-key") (32 bytes), the AAD the 16 bytes at 0x190 (TCB and reserved). The last
// stick is the VLEK hashstick: the signing key is snp_key_from_hashstick(stick,
// kVlekLabel) and MSG_KEY_REQ derives from it.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "psp/snp/vcek.h"

namespace cbit::psp::snp {

inline constexpr size_t kVlekWrappedSize = 0x1B0;
inline constexpr size_t kVlekSticksSize = 0x180;
inline constexpr std::string_view kVlekWrappingLabel = "vlek-wrapping-key";
using VlekSticks = std::array<Hashstick, 8>;

// The KDS's side: `sticks` wrapped for the chip whose VCEK hashstick at `tcb` is `vcek_stick`,
// with `iv` (12 bytes).
Bytes snp_vlek_wrap(const Hashstick& vcek_stick, uint64_t tcb, const VlekSticks& sticks,
                    ByteSpan iv);

// The firmware's side: the TCB the wrapped VLEK names (nullopt if `wrapped` is not 0x1B0 bytes),
// and its sticks (nullopt when GCM does not authenticate under `vcek_stick`'s wrapping key).
std::optional<uint64_t> snp_vlek_wrapped_tcb(ByteSpan wrapped);
std::optional<VlekSticks> snp_vlek_unwrap(const Hashstick& vcek_stick, ByteSpan wrapped);

}  // namespace cbit::psp::snp
