// Fuzzes the attestation-report parser and everything that reads a parsed report: any input is
// either rejected with an InputError or parses, serializes back to bytes that parse to the
// same report, and displays without crashing.
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "psp/report/attestation_report.h"
#include "psp/report/report_signature.h"
#include "tools/report/display.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cbit::psp::AttestationReport;
  const cbit::ByteSpan in(data, size);
  try {
    const AttestationReport r = AttestationReport::parse(in, "fuzz");
    const cbit::Bytes again = r.serialize();
    if (!(AttestationReport::parse(again, "again") == r)) std::abort();
    (void)cbit::tools::report::display_report(r);
    (void)cbit::psp::report_signature_der(in);
  } catch (const cbit::InputError&) {
  }
  return 0;
}
