#include "sw/guest/attest_agent.h"

#include "common/error.h"
#include "psp/report/attestation_report.h"

namespace cbit::sw::guest {

AttestAgent::AttestAgent(GetReportFn get_report) : get_report_(std::move(get_report)) {}

std::optional<attest::SnpEvidence> AttestAgent::respond(ByteSpan nonce) {
  key_ = attest::generate_p384_key();
  spki_ = attest::spki_der(key_.get());
  const attest::ReportData rd = attest::report_data_for(nonce, spki_);
  std::optional<ReportResponse> resp = get_report_(rd);
  if (!resp) return std::nullopt;
  try {
    const psp::AttestationReport r = psp::AttestationReport::parse(resp->report, "report");
    report_id_ = r.report_id;
    measurement_ = r.measurement;
  } catch (const InputError&) {
    return std::nullopt;
  }
  return attest::SnpEvidence{Bytes(nonce.begin(), nonce.end()), spki_, std::move(resp->report),
                             std::move(resp->cert_table)};
}

std::optional<Bytes> AttestAgent::unwrap(const attest::WrappedSecret& w) const {
  if (!key_) return std::nullopt;
  return attest::unwrap_secret(w, key_.get(), report_id_, measurement_);
}

}  // namespace cbit::sw::guest
