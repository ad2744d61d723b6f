// `cbit report verify`: the checks a relying party runs on an SNP attestation report, each
// shown as its own line so a user sees exactly which one catches a fake (azure-docs#110742).
//
// Order: the ARK -> ASK -> VCEK chain (when the ARK and ASK are given), the report's
// signature under the VCEK, then the binding of the VCEK to the report: its TCB extensions
// must equal REPORTED_TCB and its hwID must equal CHIP_ID (SPEC-FACTS.md "SNP attestation
// report").
//
// Exit codes as go-sev-guest's `check` tool: 0 every check passed, 1 misuse (bad flags or
// unreadable input; reported as InputError), 2 a signature does not verify (report or chain),
// 5 the report is authentic but a policy check (TCB or chip binding) failed.
#pragma once
#include <string>
#include <vector>

namespace cbit::tools::report {

inline constexpr int kExitOk = 0;
inline constexpr int kExitMisuse = 1;
inline constexpr int kExitBadSignature = 2;
inline constexpr int kExitPolicy = 5;

struct VerifyInputs {
  std::string report_path;
  std::string vcek_path;
  std::string ask_path;  // empty: chain not checked
  std::string ark_path;  // empty: chain not checked
};

struct CheckLine {
  enum class Status { Pass, Fail, Skip, Info };
  Status status;
  std::string text;
};

struct VerifyResult {
  int exit_code = kExitOk;
  std::vector<CheckLine> lines;
  std::string first_failure;  // the one-line reason for a non-zero exit
};

// Throws InputError (exit 1) for unreadable or malformed files, naming the file.
VerifyResult verify_report(const VerifyInputs& in);

std::string render(const VerifyResult& result);

}  // namespace cbit::tools::report
