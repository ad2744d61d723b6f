// `-o json` for `cbit report display` and `cbit report verify`. The keys are stable (docs/report.md
// "JSON"); byte fields are lower-case hex strings, TCBs objects of their components, bit fields
// objects of the spec's bit names (report_bits.h) plus the raw value and the reserved bits set.
#pragma once
#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "psp/report/attestation_report.h"
#include "tools/report/verify.h"

namespace cbit::tools::report {

// The report's fields; with `raw` (the 0x4A0 bytes) also "format_findings".
nlohmann::json report_to_json(const psp::AttestationReport& r, ByteSpan raw = {});

// {"verdict", "exit_code", "summary", "first_failure", "signing_key", "root", "checks"}.
nlohmann::json verify_result_to_json(const VerifyResult& v);

}  // namespace cbit::tools::report
