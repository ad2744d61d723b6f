// Is this report what an AMD Secure Processor signed? The relying party's first checks
// (SNP-FACTS.md §4; SPEC-FACTS.md "SNP attestation report"), run against a root the relying
// party brought itself, never one that came with the evidence:
//
//   "certificates"  the extended report's certificate table parses and holds the signing key's
//                   certificate (VCEK or VLEK, as KEY_INFO.SIGNING_KEY says) and the ASK/ASVK;
//   "signing-key"   KEY_INFO.SIGNING_KEY is a key the policy accepts (VCEK, VLEK; never 7 =
//                   unsigned);
//   "root"          an ARK in the table, if any, is the trusted ARK (byte for byte);
//   "chain"         trusted ARK -> ASK -> VCEK: each signature, AMD's RSASSA-PSS parameters,
//                   and OpenSSL's path validation with the trusted ARK as the only anchor;
//   "signature"     ECDSA P-384/SHA-384 over report bytes 0..0x29F under the VCEK;
//   "vcek-binding"  the VCEK's TCB extensions equal REPORTED_TCB and its hwID equals CHIP_ID
//                   (a VLEK has no hwID: its CSP_ID is noted instead).
//
// This is the relying party's adapter over the report verifier's building blocks
// (src/psp/certs, src/psp/report; `cbit report verify` runs the same ones). Everything here
// reads hostile bytes: a failure is a failed check, never an exception or a crash.
#pragma once
#include <openssl/x509.h>

#include "common/bytes.h"
#include "psp/report/attestation_report.h"
#include "sw/owner/snp_rp_verdict.h"

namespace cbit::sw::owner {

struct AuthenticityOptions {
  const X509* trusted_ark = nullptr;  // required
  bool accept_vcek = true;
  bool accept_vlek = false;
};

// Appends the checks above to `v`. `report` has been parsed already (AttestationReport::parse
// of `report_bytes`).
void check_authenticity(RpVerdict& v, ByteSpan report_bytes, const psp::AttestationReport& report,
                        ByteSpan cert_table, const AuthenticityOptions& opt);

}  // namespace cbit::sw::owner
