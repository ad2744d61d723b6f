// How a guest binds its key to an SNP attestation report, and how a relying party checks it
// (issue 10 §3; the channel binding SNP-FACTS.md §7 recommends against replay and relay).
//
//   REPORT_DATA (report offset 0x50, 64 bytes) = SHA-512( nonce[32] || guest_spki_der )
//
// nonce: the 32 random bytes the relying party issued for this attempt (single use).
// guest_spki_der: the DER SubjectPublicKeyInfo of the guest's ephemeral EC P-384 key, the key
// the relying party wraps the secret to. SHA-512's 64-byte output fills REPORT_DATA exactly;
// the firmware copies REPORT_DATA from MSG_REPORT_REQ unchanged (SNP-FACTS.md §3.2), so the
// signature over the report covers the nonce and the key together. A report for one nonce or
// one key proves nothing about another.
#pragma once
#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::sw::attest {

inline constexpr size_t kNonceSize = 32;
using ReportData = std::array<uint8_t, 64>;

ReportData report_data_for(ByteSpan nonce, ByteSpan guest_spki_der);

// A fresh EC P-384 key pair (OpenSSL's RNG).
psp::PkeyPtr generate_p384_key();
// The DER SubjectPublicKeyInfo of `key`'s public half.
Bytes spki_der(EVP_PKEY* key);
// The public key in `der` when it is a well-formed EC P-384 SubjectPublicKeyInfo (a point on
// the curve); nullptr for anything else: the bytes come from the guest, over the network.
psp::PkeyPtr parse_p384_spki(ByteSpan der);

}  // namespace cbit::sw::attest
