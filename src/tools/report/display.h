// `cbit report display`: an attestation report as text, laid out like snpguest's
// `display report` (the Display of virtee/sev's AttestationReport: the same labels, order,
// nested policy / platform-info / key-info blocks, and hex 16 bytes a line, upper case).
// After it, cbit adds what snpguest#32 and go-sev-guest#72 users were missing: the TCB byte
// order used, which key signs, and which VCEK (TCB) must have signed it, and a warning line for
// each strict parse rule the raw bytes break (report_format.h) when `raw` is given.
#pragma once
#include <string>

#include "psp/report/attestation_report.h"

namespace cbit::tools::report {

std::string display_report(const psp::AttestationReport& r, ByteSpan raw = {});

// The product line a report names through its CPUID fields (v3+), or "" when unknown.
std::string report_product(const psp::AttestationReport& r);

}  // namespace cbit::tools::report
