// What an SNP guest sends a relying party for one challenge (protocol in
// sw/owner/snp_relying_party.h; binding in report_binding.h). All of it crosses the host and
// the network: the relying party believes none of it until the checks pass.
#pragma once
#include "common/bytes.h"

namespace cbit::sw::attest {

struct SnpEvidence {
  Bytes nonce;             // the challenge it answers (kNonceSize bytes)
  Bytes guest_public_key;  // DER SubjectPublicKeyInfo of its ephemeral P-384 key
  Bytes report;            // ATTESTATION_REPORT, 0x4A0 bytes
  Bytes cert_table;        // the extended report's certificate table (psp/snp/cert_table.h)
};

}  // namespace cbit::sw::attest
