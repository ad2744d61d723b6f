// The AMD extensions of a VCEK certificate, under OID 1.3.6.1.4.1.3704.1 (AMD KDS spec 57230;
// SPEC-FACTS.md "SNP attestation report"; go-sev-guest kds/kds.go, snpguest verify.rs):
//   .1 struct version (INTEGER) · .2 product name (IA5String, e.g. "Milan-B0") ·
//   .3.1 bootloader SPL · .3.2 TEE SPL · .3.3 SNP SPL · .3.4-.3.7 reserved SPLs ·
//   .3.8 microcode SPL · .3.9 FMC SPL (Turin) — each a DER INTEGER 0..255 ·
//   .4 hwID: the chip's CHIP_ID (AMD's KDS stores the 64 bytes raw, without a DER tag; an
//   OCTET STRING is accepted too) · .5 CSP_ID (VLEK only, instead of hwID).
#pragma once
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "psp/report/tcb_version.h"

namespace cbit::psp {

inline constexpr const char* kOidStructVersion = "1.3.6.1.4.1.3704.1.1";
inline constexpr const char* kOidProductName = "1.3.6.1.4.1.3704.1.2";
inline constexpr const char* kOidBlSpl = "1.3.6.1.4.1.3704.1.3.1";
inline constexpr const char* kOidTeeSpl = "1.3.6.1.4.1.3704.1.3.2";
inline constexpr const char* kOidSnpSpl = "1.3.6.1.4.1.3704.1.3.3";
inline constexpr const char* kOidUcodeSpl = "1.3.6.1.4.1.3704.1.3.8";
inline constexpr const char* kOidFmcSpl = "1.3.6.1.4.1.3704.1.3.9";
inline constexpr const char* kOidHwid = "1.3.6.1.4.1.3704.1.4";
inline constexpr const char* kOidCspId = "1.3.6.1.4.1.3704.1.5";

struct VcekExtensions {
  std::optional<uint8_t> struct_version;
  std::optional<std::string> product_name;
  std::optional<uint8_t> bl_spl, tee_spl, snp_spl, ucode_spl, fmc_spl;
  std::optional<Bytes> hwid;
  std::optional<std::string> csp_id;

  // The TCB these extensions certify (missing SPLs read as 0; fmc only when present).
  TcbVersion tcb() const;
};

// Reads the AMD extensions of `cert`. Throws InputError naming `what` and the OID when an
// extension is present but malformed (a value that is not an INTEGER 0..255, and so on).
VcekExtensions read_vcek_extensions(const X509* cert, std::string_view what);

// Adds the present fields of `ext` to `cert` as non-critical extensions, encoded as AMD's KDS
// does (hwID raw, no DER tag). Reserved SPLs .3.4-.3.7 are written as 0 like AMD's.
void add_vcek_extensions(X509* cert, const VcekExtensions& ext);

}  // namespace cbit::psp
