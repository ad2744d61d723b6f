// The ID block and ID authentication information structure of SNP_LAUNCH_FINISH (SNP ABI
// "SNP_LAUNCH_FINISH", Tables "ID Block" and "ID Authentication Information Structure";
// AMD-ASPFW sev_mcmd.h snp_mcmd_launch_finish_id_block_t / _id_auth_page_t; go-sev-guest abi;
// SPEC-FACTS.md "SNP: ID block").
//
// ID block (0x60): 0x00 LD[48] · 0x30 FAMILY_ID[16] · 0x40 IMAGE_ID[16] · 0x50 u32 VERSION (1) ·
// 0x54 u32 GUEST_SVN · 0x58 u64 POLICY.
// ID auth (4 KiB): 0x000 u32 ID_KEY_ALGO · 0x004 u32 AUTH_KEY_ALGO (1 = ECDSA P-384/SHA-384) ·
// 0x040 ID_BLOCK_SIG[0x200] · 0x240 ID_KEY[0x404] · 0x680 ID_KEY_SIG[0x200] · 0x880
// AUTHOR_KEY[0x404]. A key is {u32 curve (2 = P-384), QX[72] @4, QY[72] @0x4C, reserved}, a
// signature {R[72], S[72], reserved}, all integers little-endian and zero-padded.
//
// The firmware's checks, in AMD-ASPFW snp_mcmd_launch_finish's order (snp_id_block_verify):
// LD != GCTX.LD -> BAD_MEASUREMENT; POLICY != GCTX policy -> POLICY_FAILURE; ID_KEY_ALGO != 1 (or
// AUTH_KEY_ALGO != 1 with AUTH_KEY_EN) -> INVALID_PARAM; ID key not P-384 or not a point on the
// curve, or ID_BLOCK_SIG not a signature of the 0x60 bytes -> BAD_SIGNATURE; with AUTH_KEY_EN the
// same for the author key and ID_KEY_SIG over the 0x404-byte ID key. ID_KEY_DIGEST and
// AUTHOR_KEY_DIGEST (in the report) are SHA-384 of the 0x404-byte key fields.
// Results are hw::psp::sev::SevStatus values, which the firmware returns as they are.
#pragma once
#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "hw/psp/sev/sev_api.h"
#include "psp/certs/ossl.h"

namespace cbit::psp::snp {

inline constexpr size_t kIdBlockSize = 0x60;
inline constexpr size_t kIdAuthSize = 0x1000;
inline constexpr size_t kIdKeySize = 0x404;
inline constexpr size_t kIdSigSize = 0x200;
inline constexpr size_t kEccComponentSize = 72;
inline constexpr uint32_t kIdBlockVersion = 1;
inline constexpr uint32_t kIdAlgoEcdsaP384Sha384 = 1;
inline constexpr uint32_t kEccCurveP384 = 2;

namespace id_auth_off {
inline constexpr size_t kIdKeyAlgo = 0x000;
inline constexpr size_t kAuthKeyAlgo = 0x004;
inline constexpr size_t kIdBlockSig = 0x040;
inline constexpr size_t kIdKey = 0x240;
inline constexpr size_t kIdKeySig = 0x680;
inline constexpr size_t kAuthorKey = 0x880;
}  // namespace id_auth_off

using Sha384 = std::array<uint8_t, 48>;

struct IdBlock {
  Sha384 ld{};
  std::array<uint8_t, 16> family_id{}, image_id{};
  uint32_t version = kIdBlockVersion;
  uint32_t guest_svn = 0;
  uint64_t policy = 0;

  // Exactly kIdBlockSize bytes, else InputError naming `what` (a file a user gave).
  static IdBlock parse(ByteSpan bytes, std::string_view what);
  Bytes serialize() const;
  bool operator==(const IdBlock&) const = default;
};

struct IdAuth {
  uint32_t id_key_algo = kIdAlgoEcdsaP384Sha384;
  uint32_t auth_key_algo = 0;
  std::array<uint8_t, kIdSigSize> id_block_sig{};
  std::array<uint8_t, kIdKeySize> id_key{};
  std::array<uint8_t, kIdSigSize> id_key_sig{};
  std::array<uint8_t, kIdKeySize> author_key{};

  // Exactly kIdAuthSize bytes, else InputError naming `what`. Reserved bytes are dropped.
  static IdAuth parse(ByteSpan bytes, std::string_view what);
  Bytes serialize() const;
  bool operator==(const IdAuth&) const = default;
};

// SHA-384 of a 0x404-byte key field: ID_KEY_DIGEST / AUTHOR_KEY_DIGEST.
Sha384 id_key_digest(const std::array<uint8_t, kIdKeySize>& key_field);

struct IdBlockCheck {
  hw::psp::sev::SevStatus status = hw::psp::sev::SevStatus::Success;
  Sha384 id_key_digest{};      // set once the ID block signature verified
  Sha384 author_key_digest{};  // set with auth_key_en once the ID key signature verified
};

// The firmware's check at SNP_LAUNCH_FINISH with ID_BLOCK_EN=1. `id_block` and `id_auth` are the
// bytes the firmware copied from the host's pages (any other size is INVALID_PARAM).
IdBlockCheck snp_id_block_verify(ByteSpan id_block, ByteSpan id_auth, const Sha384& gctx_ld,
                                 uint64_t gctx_policy, bool auth_key_en);

// The signer (for tests and `cbit launch --id-block/--id-auth` users, like sev-snp-measure's
// snp-create-id-block): fills ID_KEY (and AUTHOR_KEY) from the public keys and signs. `id_key`
// and `author_key` (may be null: no author key, AUTH_KEY_ALGO 0) are EC P-384 private keys;
// another kind of key is an InputError.
struct SignedIdBlock {
  Bytes id_block;  // kIdBlockSize
  Bytes id_auth;   // kIdAuthSize
};
SignedIdBlock snp_id_block_sign(const IdBlock& block, EVP_PKEY* id_key, EVP_PKEY* author_key);

// A PEM EC P-384 private key (as `openssl ecparam -name secp384r1 -genkey` writes); InputError
// naming `what` otherwise.
PkeyPtr load_p384_private_pem(std::string_view pem, std::string_view what);

// The 0x404-byte key field of a P-384 public key (curve 2, QX, QY little-endian).
std::array<uint8_t, kIdKeySize> id_key_field(EVP_PKEY* key);

}  // namespace cbit::psp::snp
