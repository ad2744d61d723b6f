// Output of `cbit host`: the sevctl-style checklist as text, the `-o json` form
// ({tests, failures:[{name,hint}], skipped, summary:{passed,failed,skipped,total}}, USERS.md),
// and `--raw`: the snapshot's raw values, CPUID leaves in the `cpuid -r -1` line format so they
// can be compared with the Debian `cpuid` tool.
#pragma once
#include <string>

#include "tools/host/checks.h"
#include "tools/host/snapshot.h"

namespace cbit::tools::host {

std::string render_text(const Checklist& c);
std::string render_json(const Checklist& c);
std::string render_raw(const HostSnapshot& s);

}  // namespace cbit::tools::host
