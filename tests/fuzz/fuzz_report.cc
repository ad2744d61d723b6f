// Fuzzes the attestation-report parser and everything that reads a parsed report: any input is
// either rejected with an InputError or parses, serializes back to bytes that parse to the
// same report, and displays (text and JSON) without crashing. The strict parse rules
// (report_format.h) run on every 0x4A0-byte input: each finding names a rule, and a report
// serialized (reserved bytes zeroed) keeps no reserved-byte finding but the signature's: R and S
// are kept whole, 72 bytes each.
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_format.h"
#include "psp/report/report_signature.h"
#include "tools/report/display.h"
#include "tools/report/report_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cbit::psp::AttestationReport;
  const cbit::ByteSpan in(data, size);
  try {
    const AttestationReport r = AttestationReport::parse(in, "fuzz");
    const cbit::Bytes again = r.serialize();
    if (!(AttestationReport::parse(again, "again") == r)) std::abort();
    for (const auto& f : cbit::psp::report_format_findings(in))
      if (f.rule.empty() || f.text.empty()) std::abort();
    for (const auto& f : cbit::psp::report_format_findings(again))
      if (f.rule.rfind("mbz.", 0) == 0 && f.rule != "mbz.0x2D0" && f.rule != "mbz.0x318")
        std::abort();
    (void)cbit::tools::report::display_report(r, in);
    (void)cbit::tools::report::report_to_json(r, in).dump();
    (void)cbit::psp::report_signature_der(in);
  } catch (const cbit::InputError&) {
  }
  return 0;
}
