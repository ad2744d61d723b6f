// A simulated chip's certificate chain: ARK (self-signed, RSA-4096) -> ASK (RSA-4096) -> VCEK
// (EC P-384 with AMD's extensions, hwID = CHIP_ID), every certificate signed RSASSA-PSS with
// SHA-384, MGF1-SHA-384, salt 48 (SPEC-FACTS.md "SNP attestation report"; AMD KDS spec 57230;
// the shape matches AMD's real Milan chain, so stock `openssl verify` and verifiers that follow
// the published layout accept it). Every subject carries O = "cbit simulated chip (not AMD)":
// these keys are not AMD's and must never be mistaken for them.
//
// RSA-4096 key generation takes seconds, so the RSA keys can be cached as PEM files; the VCEK
// (P-384) is derived deterministically from seed bytes, as real firmware derives it from the
// chip secret and the TCB.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "psp/certs/ossl.h"
#include "psp/certs/vcek_extensions.h"
#include "psp/report/tcb_version.h"

namespace cbit::psp {

inline constexpr const char* kSimOrganization = "cbit simulated chip (not AMD)";

struct ChipProduct {
  const char* name;      // "Milan", as in AMD's ARK-Milan / SEV-Milan and the KDS URL
  const char* stepping;  // product name extension is "<name>-<stepping>"
  TcbLayout layout;
  uint8_t cpuid_family, cpuid_model, cpuid_stepping;  // the report's CPUID fields (v3+)
};

// "milan", "genoa" or "turin" (any case). Throws InputError naming `flag` otherwise.
const ChipProduct& chip_product(std::string_view name, std::string_view flag = "--product");

PkeyPtr generate_rsa4096();
// Loads the RSA-4096 private key at `pem_path` if it exists, else generates one and writes it
// there (atomically). Throws InputError naming the file if it exists but is not such a key.
PkeyPtr load_or_generate_rsa4096(const std::string& pem_path);
// A P-384 private key whose scalar is derived from `seed` (at least 48 bytes; all of them, read
// big-endian, reduced as FIPS 186-4 B.4.1 does: d = seed mod (n - 1) + 1).
PkeyPtr p384_key_from_seed(ByteSpan seed);

// Signs `cert` with `key` as AMD signs its certificates: RSASSA-PSS, SHA-384, MGF1-SHA-384,
// salt 48 (also used by tests that forge a chain under AMD's names).
void sign_rsa_pss(X509* cert, EVP_PKEY* key);

X509Ptr make_ark_cert(EVP_PKEY* ark_key, const ChipProduct& product);
X509Ptr make_ask_cert(EVP_PKEY* ask_key, const X509* ark, EVP_PKEY* ark_key,
                      const ChipProduct& product);
X509Ptr make_vcek_cert(EVP_PKEY* vcek_key, const X509* ask, EVP_PKEY* ask_key,
                       const VcekExtensions& ext, const ChipProduct& product);

// The VLEK's chain (AMD KDS spec 57230 "VLEK"; snpguest's vlek.pem/asvk.pem/ark.pem): the ASVK
// (AMD SEV VLEK signing key, RSA-4096, CN "SEV-VLEK-<product>") is a second intermediate under
// the same ARK, and signs the VLEK certificates AMD issues to cloud providers (CN "SEV-VLEK"):
// the VCEK's TCB extensions and productName, CSP_ID (1.3.6.1.4.1.3704.1.5) instead of hwID.
X509Ptr make_asvk_cert(EVP_PKEY* asvk_key, const X509* ark, EVP_PKEY* ark_key,
                       const ChipProduct& product);
X509Ptr make_vlek_cert(EVP_PKEY* vlek_key, const X509* asvk, EVP_PKEY* asvk_key,
                       const VcekExtensions& ext);
VcekExtensions vlek_extensions_for(const ChipProduct& product, const TcbVersion& tcb,
                                   const std::string& csp_id);

// The AMD extensions of a VCEK for this chip at this TCB (hwID = CHIP_ID, as AMD's KDS issues;
// on Turin the first 8 bytes of the CHIP_ID, the hwID Turin's VCEKs carry).
VcekExtensions vcek_extensions_for(const ChipProduct& product, const TcbVersion& tcb,
                                   ByteSpan chip_id);

// A whole chain, for tests and samples.
struct SimulatedChain {
  PkeyPtr ark_key, ask_key, vcek_key;
  X509Ptr ark, ask, vcek;
};

}  // namespace cbit::psp
