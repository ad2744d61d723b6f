// The strict parse rules for an attestation report's raw bytes, as go-sev-guest's
// abi.ReportToProto and snpverify apply them (SNP-FACTS.md §4 "snpverify's parse checks"; SNP-ABI
// "ATTESTATION_REPORT Structure": reserved fields are MBZ). AttestationReport::parse only checks
// the size and version and drops reserved bytes; these rules look at every byte.
//
// Each finding has a severity that says what `cbit report verify` does with it; `display`
// shows every finding as a warning and still prints the report:
//   Refuse  the bytes are not a report firmware writes (a reserved bit or byte set, an unknown
//           SIGNING_KEY, R/S wider than P-384): verify refuses the report (exit 8).
//   Policy  well-formed but never acceptable to a relying party: VMPL 0xFFFFFFFF, a report the
//           host requested (SNP_HV_REPORT_REQ) rather than the guest: verify exits 5.
//   Warn    shown, not refused: PLATFORM_INFO bit 6 (defined by newer firmware as
//           IOMMU_WRITE_SAFE, reserved for go-sev-guest), mitigation-vector bytes in a pre-v5
//           report (go-sev-guest reads them for every version), a version above 5.
#pragma once
#include <string>
#include <vector>

#include "common/bytes.h"

namespace cbit::psp {

enum class FormatSeverity { Refuse, Policy, Warn };

struct FormatFinding {
  std::string rule;  // stable id: "mbz.0x330", "policy.reserved", "vmpl.host_requested", ...
  FormatSeverity severity;
  std::string text;  // one line naming the offset and the bytes
};

inline constexpr uint32_t kVmplHostRequested = 0xFFFFFFFF;
inline constexpr uint32_t kMaxKnownReportVersion = 5;

// `report` must be kReportSize bytes (AttestationReport::parse checked it). Empty: none found.
std::vector<FormatFinding> report_format_findings(ByteSpan report);

const char* format_severity_name(FormatSeverity s);

}  // namespace cbit::psp
