// The `cbit host` checklist, in the style of `sevctl ok` / `snphost ok` (USERS.md
// "Conventions of the ecosystem"): rows PASS / FAIL / SKIP, indented by dependency (a row runs
// only when its parent passed; otherwise it is SKIPped), every FAIL with a hint.
//
// What users asked for (USERS.md "Is it actually on?"):
//  - supported (CPUID), enabled by firmware (SYSCFG / what the kernel saw) and active in the
//    kernel (kernel log, kvm_amd) are separate rows (sevctl#130);
//  - features the CPU generation lacks are SKIPped, not FAILed (sevctl#93);
//  - inside an SEV guest the host checks make no sense: guest checks run instead (sevctl#186).
// The checks read only a HostSnapshot, never the machine.
#pragma once
#include <string>
#include <vector>

#include "tools/host/snapshot.h"

namespace cbit::tools::host {

enum class Status { Pass, Fail, Skip };
const char* to_string(Status s);

struct CheckRow {
  std::string name;
  Status status = Status::Pass;
  std::string detail;  // evidence: the value or bit it was decided by
  std::string hint;    // for FAIL: what to do; for SKIP: why skipped
  int depth = 0;
};

struct Checklist {
  std::string mode;      // "host" or "guest"
  std::string headline;  // one line: the CPU and the mode
  std::vector<CheckRow> rows;
  std::vector<std::string> syscfg_lines;      // every SYSCFG bit decoded, or why unreadable
  std::vector<std::string> sev_status_lines;  // same for SEV_STATUS (guest mode)
  int count(Status s) const;
};

Checklist run_checks(const HostSnapshot& s);

}  // namespace cbit::tools::host
