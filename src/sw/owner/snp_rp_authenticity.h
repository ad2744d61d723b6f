// Is this report what an AMD Secure Processor signed? The relying party's first checks, run
// by the report verifier's library entry (tools/report/verify.h verify_attestation(), the same
// code as `cbit report verify`) against a root the relying party brought itself, never one that
// came with the evidence. Its lines are folded into the relying party's named checks:
//
//   "format"        the verifier's strict format rules (MBZ bytes, reserved bits, VMPL range,
//                   host-requested VMPL 0xFFFFFFFF; SNP-FACTS.md §4 "snpverify's parse checks")
//   "signing-key"   KEY_INFO.SIGNING_KEY is a key the policy accepts (VCEK, VLEK) and matches
//                   the certificate; 7 (unsigned) is refused
//   "certificates"  the extended report's certificate table (psp/snp/cert_table.h) parses and
//                   holds the signing key's certificate and the ASK/ASVK
//   "root"          the chain ends in the policy's trusted ARK: an ARK in the table must be it
//                   byte for byte, and an AMD ARK the verifier pins is refused unless it is the
//                   policy's ARK too
//   "chain"         trusted ARK -> ASK -> VCEK (or ASVK -> VLEK): each link, AMD's RSASSA-PSS
//                   parameters, OpenSSL's path validation
//   "signature"     ECDSA P-384/SHA-384 over report bytes 0..0x29F under the VCEK/VLEK
//   "vcek-binding"  the certificate's TCB extensions equal REPORTED_TCB and its hwID CHIP_ID
//
// Everything here reads hostile bytes: a failure is a failed check, never an exception.
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

// Appends the checks above to `v`, in that order. `report` is AttestationReport::parse of
// `report_bytes`.
void check_authenticity(RpVerdict& v, ByteSpan report_bytes, const psp::AttestationReport& report,
                        ByteSpan cert_table, const AuthenticityOptions& opt);

}  // namespace cbit::sw::owner
