// `cbit report verify`: the checks a relying party runs on an SNP attestation report, each
// shown as its own line so a user sees exactly which one catches a fake (azure-docs#110742).
// This is the library entry point: the CLI (src/cli/cmd_report.cc) and the relying party
// (src/sw/owner/) call verify_attestation() with a report and parsed certificates.
//
// Order: the report's format (report_format.h: MBZ bytes, reserved bits, host-requested VMPL),
// which key signed it (KEY_INFO.SIGNING_KEY 0 VCEK, 1 VLEK, 7 none) against the certificate given,
// the root (one of AMD's pinned ARKs, amd_roots.h, or a root the caller trusts explicitly), the
// ARK -> ASK -> VCEK (or ARK -> ASVK -> VLEK) chain, the report's ECDSA P-384 signature under the
// VCEK/VLEK, then the binding of the VCEK to the report: its TCB extensions must equal
// REPORTED_TCB and its hwID must equal CHIP_ID (SNP-FACTS.md §4). An all-zero CHIP_ID (the guest
// was launched with MASK_CHIP_ID) skips the hwID binding with a note, as go-sev-guest does.
//
// Verdicts and exit codes: 0, 1, 2 and 5 are go-sev-guest `check`'s (3 and 4 there are download
// failures, which cbit never has); 6-10 are cbit's, one per verdict a user must not mistake for a
// full verification. When several apply, the exit code is the first of
// 2, 8, 10, 9, 7, 5, 6 (a forgery before a format error before a missing root ...).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/certs/ossl.h"
#include "psp/report/attestation_report.h"

namespace cbit::tools::report {

inline constexpr int kExitOk = 0;
inline constexpr int kExitMisuse = 1;
inline constexpr int kExitBadSignature = 2;
inline constexpr int kExitPolicy = 5;
inline constexpr int kExitChainNotVerified = 6;
inline constexpr int kExitUntrustedRoot = 7;
inline constexpr int kExitMalformed = 8;
inline constexpr int kExitUnsigned = 9;
inline constexpr int kExitKeyMismatch = 10;

enum class Verdict {
  Verified,          // 0: format, root, chain, signature and binding all pass
  BadSignature,      // 2: the report or a chain link does not verify, or the path does not
                     //    validate (an expired certificate)
  Policy,            // 5: authentic, but TCB/chip binding, product or VMPL refuses it
  ChainNotVerified,  // 6: the report verifies under the VCEK, but no ASK/ARK was given
  UntrustedRoot,     // 7: the ARK is not one of AMD's and the caller did not trust it
  Malformed,         // 8: reserved bytes/bits set: not a report firmware writes
  Unsigned,          // 9: SIGNING_KEY 7 (none) or MASK_CHIP_KEY: nothing to verify
  KeyMismatch,       // 10: the report says VLEK and a VCEK was given, or the reverse
};

int verdict_exit_code(Verdict v);
const char* verdict_name(Verdict v);  // stable JSON value: "verified", "chain_not_verified", ...

enum class EndorsementKey { Vcek, Vlek };
const char* endorsement_key_name(EndorsementKey k);  // "VCEK" / "VLEK"
const char* intermediate_name(EndorsementKey k);     // "ASK" / "ASVK"

struct CheckLine {
  enum class Status { Pass, Fail, Skip, Info };
  Status status;
  std::string id;  // stable: "chain.path", "signature", "binding.tcb.snp", "format.mbz.0x330", ...
  std::string text;
};
const char* check_status_name(CheckLine::Status s);  // "pass", "fail", "skip", "info"

// The certificates, not owned. `leaf` (the VCEK or VLEK) is required; without `intermediate`
// the chain is not checked (verdict at best ChainNotVerified). `ark` is the root that came with
// the chain; it may be null when VerifyOptions::trusted_ark is set.
struct CertChain {
  const X509* leaf = nullptr;
  const X509* intermediate = nullptr;
  const X509* ark = nullptr;
};

struct VerifyOptions {
  // A root the caller trusts explicitly (`--trust-ark FILE`; the simulated chip's ARK). When the
  // chain also carries an ARK, it must be this one. AMD's pinned ARKs are always trusted.
  const X509* trusted_ark = nullptr;
  std::string trusted_ark_source = "--trust-ark";  // for the root line: "ARK from <this>"
  // Check the certificates' validity dates at this time (seconds since the epoch) instead of
  // now: a report from the past with a VLEK (AMD issues them for a year) or an expired VCEK.
  std::optional<int64_t> at;
};

struct RootUsed {
  enum class Kind { None, AmdPinned, Trusted, Untrusted };
  Kind kind = Kind::None;
  std::string product;      // AmdPinned: "Milan", "Genoa", "Turin"
  std::string source;       // Trusted: VerifyOptions::trusted_ark_source
  std::string cert_sha256;  // hex of the ARK certificate DER
  std::string spki_sha256;  // hex of its SubjectPublicKeyInfo DER
};
const char* root_kind_name(RootUsed::Kind k);  // "none", "amd_pinned", "trusted", "untrusted"

struct VerifyResult {
  Verdict verdict = Verdict::Verified;
  int exit_code = kExitOk;
  std::vector<CheckLine> lines;
  std::string first_failure;  // the one-line reason for the verdict when it is not Verified
  std::string summary;        // "Report verified." / "Report signature verified; chain NOT ..."
  RootUsed root;
  EndorsementKey key = EndorsementKey::Vcek;  // what signed the report (as the leaf says)
};

// Verifies `report` (the raw 0x4A0 bytes: the signature covers reserved bytes a parsed report
// drops). Throws InputError when the size or version is not a report's, or a certificate
// extension is malformed; every other problem is a verdict.
VerifyResult verify_attestation(ByteSpan report, const CertChain& certs,
                                const VerifyOptions& options = {});
// The same for a parsed report (serialized first: its reserved bytes are then zero).
VerifyResult verify_attestation(const psp::AttestationReport& report, const CertChain& certs,
                                const VerifyOptions& options = {});

// The lines as "[ PASS ] text", one a line, then the summary.
std::string render(const VerifyResult& result);

}  // namespace cbit::tools::report
