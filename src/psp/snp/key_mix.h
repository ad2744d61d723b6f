// MSG_KEY_REQ's derivation (AMD-ASPFW sev_rmp.h snp_mix_data_t, KEY_REQ_LABEL; sev_mcmd.c
// snp_mcmd_guest_request, case SNP_MSG_KEY_REQ; SNP-FACTS.md §3.3): the derived key is
//   snp_nist_kdf(root key, "gmsg-keyreq", MIX_DATA) cut to 32 bytes,
// the root key being the VCEK hashstick (of the reported TCB, or of the TCB the request names),
// a VLEK hashstick, or the guest's VMRK. MIX_DATA (0xA8 bytes, packed, little-endian):
//   0x00 u32 {bit 0 ROOT_KEY_SELECT, bits 2:1 IDBLOCK_KEY_SELECT (0 none, 1 ID key, 2 author
//   key)} · 0x04 reserved · 0x08 u64 GUEST_FIELD_SELECT · 0x10 u32 VMPL · 0x14 u32 GUEST_SVN ·
//   0x18 u64 TCB_VERSION · 0x20 u64 GUEST_POLICY · 0x28 IMAGE_ID[16] · 0x38 FAMILY_ID[16] ·
//   0x48 MEASUREMENT[32] (the first 32 of its 48 bytes) · 0x68 HOST_DATA[32] ·
//   0x88 IDBLOCK_KEY[32] (the first 32 bytes of the ID or author key's SHA-384 digest).
// GUEST_SVN, TCB_VERSION, GUEST_POLICY, IMAGE_ID, FAMILY_ID and MEASUREMENT are zero unless
// GUEST_FIELD_SELECT selects them; VMPL, HOST_DATA and the ID-block key always count.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace cbit::psp::snp {

inline constexpr std::string_view kKeyReqLabel = "gmsg-keyreq";
inline constexpr size_t kKeyMixSize = 0xA8;

// GUEST_FIELD_SELECT bits (ASPFW SNP_GUEST_FIELD_*).
inline constexpr uint64_t kGfsPolicy = 1u << 0;
inline constexpr uint64_t kGfsImageId = 1u << 1;
inline constexpr uint64_t kGfsFamilyId = 1u << 2;
inline constexpr uint64_t kGfsMeasurement = 1u << 3;
inline constexpr uint64_t kGfsGuestSvn = 1u << 4;
inline constexpr uint64_t kGfsTcbVersion = 1u << 5;
inline constexpr uint64_t kGfsAll = 0x3F;

struct KeyMix {
  uint32_t root_key_select = 0;     // 0 VCEK/VLEK, 1 VMRK
  uint32_t idblock_key_select = 0;  // 0 none, 1 ID key, 2 author key
  uint64_t gfs = 0;
  uint32_t vmpl = 0;
  uint32_t guest_svn = 0;
  uint64_t tcb_version = 0;
  uint64_t guest_policy = 0;
  std::array<uint8_t, 16> image_id{}, family_id{};
  std::array<uint8_t, 32> measurement{}, host_data{}, idblock_key{};

  std::array<uint8_t, kKeyMixSize> serialize() const;
};

// The 32-byte derived key.
std::array<uint8_t, 32> snp_derive_guest_key(ByteSpan root_key, const KeyMix& mix);

}  // namespace cbit::psp::snp
