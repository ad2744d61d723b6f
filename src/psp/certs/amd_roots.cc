#include "psp/certs/amd_roots.h"

#include <openssl/x509.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "psp/certs/cert_io.h"

namespace cbit::psp {

namespace {

// Where the values come from: each ARK PEM was read from two public copies of AMD's KDS
// cert_chain files, which agree byte for byte on the ARK:
//   google/go-sev-guest verify/trust/ask_ark_{milan,genoa,turin_vcek}.pem (commit af1c107a,
//     2025-11-19; the VLEK chains there carry the same ARK), and
//   virtee/sev src/certs/snp/builtin/{milan,genoa,turin}/ark.pem (commit 9cf2adbf, 2026-04-07).
// The hashes were computed by us with `openssl x509 -outform DER | sha256sum` (certificate) and
// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum` (public key).
// Validity: ARK-Milan to 2045-10-22, ARK-Genoa to 2047-01-26, ARK-Turin to 2048-05-15.
constexpr AmdRoot kRoots[] = {
    {"Milan", "ARK-Milan", "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9",
     "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"},
    {"Genoa", "ARK-Genoa", "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831",
     "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"},
    {"Turin", "ARK-Turin", "4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08",
     "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a"},
};

}  // namespace

std::span<const AmdRoot> amd_roots() { return kRoots; }

std::string spki_sha256(const X509* cert) {
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) {
    openssl_error();
    return "";
  }
  const std::string hex = to_hex(crypto::sha256(ByteSpan(der, static_cast<size_t>(len))));
  OPENSSL_free(der);
  return hex;
}

std::string cert_der_sha256(const X509* cert) {
  return to_hex(crypto::sha256(certificate_der(cert)));
}

std::optional<AmdRoot> pinned_amd_root(const X509* ark) {
  const std::string spki = spki_sha256(ark);
  const std::string der = cert_der_sha256(ark);
  for (const AmdRoot& r : kRoots)
    if (spki == r.spki_sha256 && der == r.cert_sha256) return r;
  return std::nullopt;
}

}  // namespace cbit::psp
