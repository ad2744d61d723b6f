// `cbit report sample`: an attestation report signed by a simulated chip's VCEK, with that
// chip's ARK/ASK/VCEK chain, so users can try `display` and `verify` (and `openssl verify`)
// without SEV-SNP hardware (USERS.md "Testing without hardware"). Every certificate says in
// its subject that it is not AMD's.
// With `vlek`, the report is signed by a VLEK instead (KEY_INFO.SIGNING_KEY = 1, as firmware
// signs once SNP_VLEK_LOAD loaded one): the key the KDS stand-in's VLEK service holds for a
// cloud provider (SimulatedChip::vlek_key, the one SNP_VLEK_LOAD's wrapped VLEK carries), with
// the ARK -> ASVK -> VLEK chain, written in snpguest's VLEK layout (vlek, asvk, ark).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::tools::report {

struct SampleOptions {
  std::optional<uint64_t> seed;  // chip id, VCEK and report contents become reproducible
  std::string product = "milan";
  std::string key_cache;  // directory caching the RSA-4096 ARK/ASK keys ("" = none)
  Bytes report_data;      // up to 64 bytes, zero-padded
  // For testing verifiers: "tcb" issues the VCEK for another SNP SPL than REPORTED_TCB,
  // "chip-id" for another chip. Empty: a consistent sample.
  // "chip-id" has no meaning with `vlek` (a VLEK names no chip): InputError.
  std::string mismatch;
  bool vlek = false;
};

struct Sample {
  Bytes report;
  bool vlek = false;
  // With `vlek`: `ask` is the ASVK, `vcek` the VLEK certificate and `vcek_key` the VLEK.
  psp::X509Ptr ark, ask, vcek;
  psp::PkeyPtr vcek_key;
};

Sample make_sample(const SampleOptions& opt);

// Writes report.bin and ark/ask/vcek (ark/asvk/vlek for a VLEK sample) as .pem (or .der) into
// out_dir, creating it.
void write_sample(const Sample& s, const std::string& out_dir, bool der);

}  // namespace cbit::tools::report
