// --explain: what every input, option and page contributed to a launch digest
// (sev-snp-measure#30), as text for people or JSON for `cbit measure diff`.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "psp/digest/launch_plan.h"
#include "tools/measure/request.h"

namespace cbit::tools::measure {

// Version of the JSON layout; `diff` refuses other versions.
constexpr int kExplainVersion = 1;

std::string explain_text(const Request& r, const Outcome& o);
std::string explain_json(const Request& r, const Outcome& o);

// The VMSA fields a VMM, the vCPU type or the guest features set, by name and value.
std::vector<std::pair<std::string, uint64_t>> vmsa_fields(ByteSpan vmsa);

// --dump-vmsa: vmsa<N>.bin in the current directory, one per vCPU, as sev-snp-measure does.
void dump_vmsas(const psp::digest::LaunchPlan& plan, uint64_t vcpus);
// The file --dump-vmsa writes for vCPU n: vmsa<n>.bin in the working directory.
std::string vmsa_file_name(uint64_t n);

}  // namespace cbit::tools::measure
