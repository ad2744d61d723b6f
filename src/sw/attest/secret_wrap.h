// The secret a relying party releases, wrapped to the key a guest put in REPORT_DATA
// (report_binding.h). OpenSSL only; the shape is ECIES-like, as in HPKE's DHKEM(P-384) with
// HKDF-SHA-384 and AES-256-GCM (RFC 9180), though not HPKE's exact framing:
//
//   e      = a fresh EC P-384 key of the relying party, one per wrap
//   Z      = ECDH(e, guest public key)                       (48 bytes, the x coordinate)
//   K      = HKDF-SHA-384(ikm = Z, salt = "", info = kWrapLabel || SPKI(e) || SPKI(guest)), 32 B
//   IV     = 12 random bytes
//   AAD    = kWrapLabel || REPORT_ID[32] || MEASUREMENT[48]  (of the report the RP accepted)
//   C, tag = AES-256-GCM(K, IV, AAD, secret)
//
// The AAD ties the ciphertext to the very report that was checked: a guest whose report had
// another REPORT_ID or MEASUREMENT cannot open it even with the right key, and a wrapped secret
// is useless to anyone without the guest's private key (the relay row, src/attacks/).
//
// Wire form (serialize/parse): u16 spki_len, SPKI(e), IV[12], tag[16], u32 len, C. The bytes
// travel through the host, so parse() returns nullopt for anything malformed.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::sw::attest {

inline constexpr const char* kWrapLabel = "cbit-snp-rp-secret-v1";

struct WrappedSecret {
  Bytes rp_public_key;  // SPKI DER of the relying party's ephemeral key
  std::array<uint8_t, 12> iv{};
  std::array<uint8_t, 16> tag{};
  Bytes ciphertext;

  Bytes serialize() const;
  static std::optional<WrappedSecret> parse(ByteSpan bytes);
};

// What the AEAD authenticates besides the ciphertext.
Bytes wrap_aad(ByteSpan report_id, ByteSpan measurement);

// Relying party: wraps `secret` to `guest_key` (public). Throws InputError when the key is not
// EC P-384 (a relying party only calls this with a key it has checked).
WrappedSecret wrap_secret(ByteSpan secret, EVP_PKEY* guest_key, ByteSpan report_id,
                          ByteSpan measurement);

// Guest: nullopt when the AEAD refuses (another key, another report, a changed byte).
std::optional<Bytes> unwrap_secret(const WrappedSecret& w, EVP_PKEY* guest_private_key,
                                   ByteSpan report_id, ByteSpan measurement);

}  // namespace cbit::sw::attest
