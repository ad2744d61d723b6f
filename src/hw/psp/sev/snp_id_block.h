// The ID block and ID authentication information structure of SNP_LAUNCH_FINISH (SNP ABI
// "SNP_LAUNCH_FINISH"; AMD-ASPFW snp_mcmd_launch_finish_id_auth_page_t; go-sev-guest abi.go;
// SNP-FACTS.md §2.4).
//   ID block (0x60): LD[48], FAMILY_ID[16], IMAGE_ID[16], u32 version (1), u32 guest_svn,
//   u64 policy.
//   ID auth (4 KiB): 0x000 u32 id_key_algo (1 = ECDSA P-384 with SHA-384), 0x004 u32
//   auth_key_algo, 0x040 ID block signature (0x200), 0x240 ID key (0x404), 0x680 ID key
//   signature by the author key (0x200), 0x880 author key (0x404).
//   Public key (0x404): u32 curve (2 = P-384), QX[72] at 4, QY[72] at 0x4C, little-endian.
//   Signature (0x200): R[72] then S[72], little-endian, zero-padded.
// OpenSSL does the ECDSA; this file moves keys and signatures between these layouts and
// OpenSSL's.
#pragma once
#include <openssl/types.h>

#include <cstdint>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "hw/psp/sev/sev_api.h"

namespace cbit::hw::psp::sev {

inline constexpr size_t kIdBlockSize = 0x60;
inline constexpr size_t kIdAuthSize = 0x1000;
inline constexpr size_t kIdAuthIdBlockSig = 0x040, kIdAuthIdKey = 0x240;
inline constexpr size_t kIdAuthIdKeySig = 0x680, kIdAuthAuthorKey = 0x880;
inline constexpr size_t kSnpPubKeySize = 0x404, kSnpSigSize = 0x200;
inline constexpr uint32_t kSnpAlgoEcdsaP384Sha384 = 1;
inline constexpr uint32_t kSnpCurveP384 = 2;
inline constexpr size_t kIdBlockLd = 0x00, kIdBlockPolicy = 0x58;

// ASPFW's checks after LD and policy: algorithms (INVALID_PARAM), the ID key's curve and point
// and the ID block signature (BAD_SIGNATURE), with the author key the same for the ID key's
// signature. On success fills the SHA-384 digests of the 0x404-byte keys.
SevStatus verify_id_auth(ByteSpan id_block, ByteSpan id_auth, bool author_key_en,
                         crypto::Sha384Digest* id_key_digest,
                         crypto::Sha384Digest* author_key_digest);

// The other side (a guest owner's tool, the tests): an ID auth page signing `id_block` with
// `id_key` (and the ID key with `author_key` when given). Keys are EC P-384 private keys.
Bytes make_id_auth(ByteSpan id_block, EVP_PKEY* id_key, EVP_PKEY* author_key);
// A P-384 public key in the SNP layout (0x404 bytes).
Bytes snp_public_key(EVP_PKEY* key);

}  // namespace cbit::hw::psp::sev
