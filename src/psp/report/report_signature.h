// The report signature (SNP-ABI "Signature Algorithms"; SPEC-FACTS.md "SNP attestation
// report"): ECDSA P-384 with SHA-384 over report bytes 0..0x29F, stored at 0x2A0 as R then S,
// each 72 bytes little-endian and zero-padded. OpenSSL does the ECDSA; this file only moves
// R and S between the report's layout and OpenSSL's.
#pragma once
#include <openssl/types.h>

#include <string>

#include "common/bytes.h"

namespace cbit::psp {

// Signs report[0..0x29F] with `vcek` (an EC P-384 private key) and writes R and S into the
// report's signature field. `report` must be kReportSize bytes.
void sign_report(MutByteSpan report, EVP_PKEY* vcek);

// True when the signature in `report` verifies under `vcek` (public key). On false, `why` says
// what failed (an all-zero signature, a key that is not P-384, or a mismatch).
bool verify_report_signature(ByteSpan report, EVP_PKEY* vcek, std::string* why = nullptr);

// The signature as a DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }), the form
// `openssl dgst -sha384 -verify key.pem -signature sig.der` takes.
Bytes report_signature_der(ByteSpan report);

}  // namespace cbit::psp
