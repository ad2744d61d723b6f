// Checks of the ARK -> ASK -> VCEK chain (SPEC-FACTS.md "SNP attestation report"; AMD KDS spec
// 57230; go-sev-guest verify.go): each link's signature, AMD's signature parameters
// (RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48), and a stock X.509 path validation (validity
// dates, CA flags) by OpenSSL, the same one `openssl verify` runs.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "psp/certs/ossl.h"

namespace cbit::psp {

// True when `cert`'s signature verifies under `issuer`'s public key.
bool cert_signed_by(const X509* cert, const X509* issuer);

// nullopt when `cert` is signed RSASSA-PSS with SHA-384, MGF1-SHA-384 and salt 48; otherwise
// what differs ("signature algorithm is sha256WithRSAEncryption, not RSASSA-PSS").
std::optional<std::string> amd_signature_params_problem(const X509* cert);

// nullopt when OpenSSL's path validation of vcek, with ask untrusted and ark as the only trust
// anchor, succeeds; otherwise OpenSSL's reason ("certificate has expired"). With
// `check_root_signature` the ARK's self-signature is verified too (X509_V_FLAG_CHECK_SS_SIGNATURE),
// so a success means every signature of the chain verified. `at` (seconds since the epoch) checks
// the validity dates at that time instead of now.
std::optional<std::string> path_validation_problem(const X509* ark, const X509* ask,
                                                   const X509* vcek,
                                                   bool check_root_signature = false,
                                                   std::optional<int64_t> at = std::nullopt);

// SHA-256 of the certificate's DER, as hex: what a user compares against a known ARK.
std::string cert_sha256_fingerprint(const X509* cert);

}  // namespace cbit::psp
