// Where `cbit report verify` finds its certificates: explicit files, or a directory in one of
// snpguest's layouts (snpguest `fetch ca` / `fetch vcek` / `certificates`):
//   VCEK layout  vcek.{pem,der}, ask.{pem,der}, ark.{pem,der}
//   VLEK layout  vlek.{pem,der}, asvk.{pem,der}, ark.{pem,der}
// When a directory holds both a VCEK and a VLEK, the report's KEY_INFO.SIGNING_KEY picks one;
// otherwise whichever is there is used, and a report naming the other key is refused by the
// verifier (Verdict::KeyMismatch), not here. Files are PEM or DER, detected by content.
#pragma once
#include <string>

#include "psp/certs/ossl.h"
#include "tools/report/verify.h"

namespace cbit::tools::report {

struct CertPaths {
  std::string leaf;          // --vcek or --vlek
  std::string intermediate;  // --ask or --asvk
  std::string ark;           // --ark
  std::string certs_dir;     // --certs-dir
  std::string trust_ark;     // --trust-ark
};

struct LoadedCerts {
  psp::X509Ptr leaf, intermediate, ark, trusted_ark;
  CertPaths paths;  // the files actually used
  CertChain chain() const { return {leaf.get(), intermediate.get(), ark.get()}; }
};

// The checks that need no file read: a certificate source is given, --certs-dir is a directory
// holding a VCEK or VLEK. Throws InputError; the CLI runs it before reading the report.
void check_cert_paths(const CertPaths& paths);

// Resolves `paths` (explicit files win over the directory) and loads the certificates.
// `signing_key` is the report's KEY_INFO.SIGNING_KEY (0 VCEK, 1 VLEK). Throws InputError (exit 1)
// for a missing or unreadable file, a directory without a VCEK or VLEK, an ASK without an ARK
// (and no --trust-ark) or an ARK without an ASK.
LoadedCerts load_certs(CertPaths paths, uint32_t signing_key);

}  // namespace cbit::tools::report
