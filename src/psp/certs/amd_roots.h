// AMD's three SEV-SNP root keys (ARK-Milan, ARK-Genoa, ARK-Turin), pinned by fingerprint, so a
// verifier can tell AMD's root from a self-made chain that copies AMD's names (issue 10 §4).
//
// AMD publishes each ARK at https://kdsintf.amd.com/vcek/v1/{Milan,Genoa,Turin}/cert_chain (ASK,
// then ARK; AMD KDS spec 57230 §4; SNP-FACTS.md §4 "KDS"). A root is AMD's only when BOTH the
// SHA-256 of its SubjectPublicKeyInfo DER and the SHA-256 of its certificate DER equal the pinned
// values: the key is what signs, the certificate is what was published.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "psp/certs/ossl.h"

namespace cbit::psp {

struct AmdRoot {
  std::string_view product;      // "Milan", "Genoa", "Turin" (the KDS path segment)
  std::string_view common_name;  // "ARK-Milan"
  std::string_view spki_sha256;  // lower-case hex
  std::string_view cert_sha256;  // lower-case hex
};

std::span<const AmdRoot> amd_roots();

// SHA-256 (hex) of the certificate's SubjectPublicKeyInfo DER / of the whole certificate DER.
std::string spki_sha256(const X509* cert);
std::string cert_der_sha256(const X509* cert);

// The pinned AMD root that `ark` is (both hashes equal), or nullopt.
std::optional<AmdRoot> pinned_amd_root(const X509* ark);

}  // namespace cbit::psp
