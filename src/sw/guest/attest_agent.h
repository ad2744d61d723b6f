// The guest's half of SNP attestation to a relying party (protocol in
// sw/owner/snp_relying_party.h): a program in the guest that answers a challenge and opens the
// secret. It does not care how the report is obtained: `get_report` is the guest kernel's
// /dev/sev-guest SNP_GET_EXT_REPORT (or configfs-tsm's outblob/auxblob) once that path runs,
// and anything that returns the same bytes until then.
//
//   respond(nonce): a fresh EC P-384 key (never reused across challenges), REPORT_DATA =
//                   SHA-512(nonce || SPKI) (sw/attest/report_binding.h), the report and its
//                   certificate table from get_report, packed as SnpEvidence.
//   unwrap(w):      the secret, if `w` was wrapped to this key for the report it sent
//                   (sw/attest/secret_wrap.h); the private key never leaves the agent.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/bytes.h"
#include "psp/certs/ossl.h"
#include "sw/attest/evidence.h"
#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"

namespace cbit::sw::guest {

struct ReportResponse {
  Bytes report;      // 0x4A0 bytes
  Bytes cert_table;  // the extended report's certificate table (may be empty)
};
// nullopt when the request failed (the ioctl's fw_error / vmm_error).
// One report request through the guest kernel's driver with what came back, for callers that
// need the failure and not only the report: the driver's 0 or -errno, the GHCB's SW_EXITINFO2
// ({fw_error, vmm_error}), MSG_REPORT_RSP.STATUS (0 success, 0x16 INVALID_PARAM, 0x27
// INVALID_KEY), and the report when STATUS is success.
struct ReportRequestOutcome {
  int rc = 0;
  uint64_t exitinfo2 = 0;
  uint32_t status = 0;
  std::optional<ReportResponse> report;
};
using GetReportFn =
    std::function<std::optional<ReportResponse>(const attest::ReportData& report_data)>;

class AttestAgent {
 public:
  explicit AttestAgent(GetReportFn get_report);

  // nullopt when the report request failed or returned something that is not a report.
  std::optional<attest::SnpEvidence> respond(ByteSpan nonce);
  // nullopt when no challenge was answered yet or the AEAD refuses.
  std::optional<Bytes> unwrap(const attest::WrappedSecret& w) const;

  // The public key of the last response (SPKI DER), for tests and for a relay attacker's view.
  const Bytes& public_key() const { return spki_; }

 private:
  GetReportFn get_report_;
  psp::PkeyPtr key_;
  Bytes spki_;
  std::array<uint8_t, 32> report_id_{};
  std::array<uint8_t, 48> measurement_{};
};

}  // namespace cbit::sw::guest
