// The VCEK: the Versioned Chip Endorsement Key that signs SNP attestation reports, derived from
// a chip-unique secret and the TCB so that every TCB has its own key (AMD-ASPFW sev_plat.c
// `vcek_hash_derive`, `vceck_rederive`, `recompute_hash_stick`, `hashstick_extend`,
// `key_from_hash`; AMD's "Versioned CEK Algorithm Specification" as ASPFW cites it; SNP-FACTS.md
// §4 "VCEK derivation").
//
// The hashstick chain runs over the eight bytes of TCB_VERSION in the order the part stores them
// (byte i = component i: Milan/Genoa bootloader, TEE, four reserved, SNP, microcode; Turin FMC,
// bootloader, TEE, SNP, three reserved, microcode), SHA-384 throughout:
//   B_0 = the chip secret; for each component i at SVN v_i:
//   d_i = SHA384^(255 - v_i)(B_i), B_(i+1) = SHA384(0^64 || d_i), stick_i = SHA384(d_i);
//   the VCEK hashstick is stick_7, the VCEK the P-384 key from
//   snp_nist_kdf(hashstick, "sev-versioned-chip-endorsement-key") (56 bytes: the curve's 48 and
//   ECC_KEYGEN_EXTRA_BYTES 8, reduced as FIPS 186-4 B.4.1 does).
// Hashing only goes one way: a stick for SVN v gives the stick for any SVN below v (hash it
// again) but none above. The firmware holds the sticks of the TCB it booted (what the boot ROM
// and bootloader hand over), so it derives the VCEK of that TCB or any older one (SNP_CONFIG's
// REPORTED_TCB, MSG_KEY_REQ's TCB_VERSION) and never of a newer one. AMD's KDS knows the chip
// secret itself and issues a certificate for any TCB (psp/certs/sim_chip.h uses these functions,
// so the certificate is for exactly the key the firmware signs with).
//
// Nothing returns the secret or a stick except derive(), whose callers are the firmware and the
// KDS stand-in; the classes wipe their copies.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::psp::snp {

inline constexpr std::string_view kVcekLabel = "sev-versioned-chip-endorsement-key";
inline constexpr std::string_view kVlekLabel = "sev-versioned-loaded-attestation-key";
inline constexpr size_t kHashstickSize = 48;
inline constexpr size_t kChipSecretSize = 48;
using Hashstick = std::array<uint8_t, kHashstickSize>;

class VcekHashsticks {
 public:
  // The sticks for TCB `top` (raw TCB_VERSION) from the chip secret (48 bytes; a shorter or
  // longer span is a caller bug: std::invalid_argument).
  static VcekHashsticks from_chip_secret(ByteSpan chip_secret, uint64_t top);
  VcekHashsticks(const VcekHashsticks&) = delete;
  VcekHashsticks& operator=(const VcekHashsticks&) = delete;
  VcekHashsticks(VcekHashsticks&& o) noexcept;
  VcekHashsticks& operator=(VcekHashsticks&& o) noexcept;
  ~VcekHashsticks();

  uint64_t top() const { return top_; }
  // The VCEK hashstick of `tcb` (raw TCB_VERSION); nullopt when any of its bytes is above the
  // same byte of top(): a newer TCB cannot be derived.
  std::optional<Hashstick> derive(uint64_t tcb) const;

 private:
  VcekHashsticks() = default;
  std::array<Hashstick, 8> sticks_{};
  uint64_t top_ = 0;
};

// The eight sticks of `tcb` from a secret (what VcekHashsticks::from_chip_secret keeps): the
// KDS stand-in's VLEK seed for a cloud provider (psp/snp/vlek.h). The caller wipes them.
std::array<Hashstick, 8> snp_hashstick_chain(ByteSpan secret, uint64_t tcb);

// The P-384 key pair of a hashstick: the VCEK with kVcekLabel, a VLEK with kVlekLabel.
PkeyPtr snp_key_from_hashstick(const Hashstick& stick, std::string_view label = kVcekLabel);

// Component-wise comparison of two raw TCB_VERSIONs: true when some byte of `a` is above the
// same byte of `b` (SNP_CONFIG and MSG_KEY_REQ refuse such a TCB).
bool tcb_raw_above(uint64_t a, uint64_t b);

}  // namespace cbit::psp::snp
