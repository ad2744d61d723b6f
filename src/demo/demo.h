// `cbit demo`: the seeds' use models, each run on a simulated machine next to a control case
// in which the protection is off, so every claim is shown failing where it must.
// Sections with a scenario file run it (examples/scenarios/<section>.toml, demo/section_file.cc).
//  - sme-full:    seed 000 "Full Memory Encryption" (TSME, and SME with the C-bit on every
//                 page): a secret in DRAM and in an NVDIMM, attacked by cold boot, NVDIMM
//                 removal, bus snoop and DMA.
//  - sme-partial: seed 000 "Partial Memory Encryption": only chosen pages encrypted; the
//                 attacker's dump shows which pages are plaintext.
//  - smetest:     seed 004's smetest module: read with the C-bit, after set_memory_decrypted()
//                 and after set_memory_encrypted().
//  - dma:         a device whose DMA mask cannot reach the C-bit, with and without swiotlb.
//  - sev-guest:   seed 004's SEV experiment: a guest process's secret against the
//                 hypervisor's dump-guest-memory, with SEV, SEV-ES and without.
//  - sev-shared:  seed 002: guest and hypervisor communicate through a shared page.
//  - sev-attacks: a malicious hypervisor's attacks, off vs SEV vs SEV-ES.
//  - snp-attest:  issue 10's SEV-SNP attestation round trip on a live OVMF guest (the relying
//                 party's checks, the released secret printed by seed 004's program) and the
//                 host's attacks on it, each with its control.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hw/machine.h"

namespace cbit::demo {

struct DemoOptions {
  std::string cpu = "naples";  // the seeds' machine
  // Whether `cpu` overrides a scenario file's own [scenario] cpu (cbit demo: only when --cpu
  // is given, so sections written for milan or genoa keep their part).
  bool cpu_overrides_files = true;
  std::vector<std::string> overrides;  // --set field=value
  std::optional<uint64_t> seed;
  std::string workdir;  // where NVDIMM files and images go
};

// One checked claim: what was expected, what was seen.
struct Check {
  std::string what;
  bool ok = false;
  std::string saw;  // for a failed check of a scenario file: "found = 2"
};

struct Section {
  std::string id;                  // "sme-full"
  std::string title;               // "Full memory encryption (seed 000)"
  std::vector<std::string> lines;  // human-readable transcript
  std::vector<Check> checks;
  nlohmann::json data = nlohmann::json::object();
  // A section run from its scenario file (examples/scenarios/<id>.toml): `lines` holds the
  // check lines too, where they fell (scenario/engine.h), and `file` names the file.
  bool checks_in_lines = false;
  std::string file;
  bool ok() const;
  void check(std::string what, bool ok) { checks.push_back({std::move(what), ok}); }
};

hw::MachineConfig machine_config(const DemoOptions& opt, uint64_t dram_bytes);

// A new, empty file for a section's NVDIMM or dump in the working directory, created
// exclusively, so the demo never takes over a file it did not make; returns its path. A
// "XXXXXX" in `name` becomes a fresh unique part (mkstemps); without one the name is used as is
// and refused if anything is there. The files stay for the caller to inspect: `cbit demo` runs
// in a directory of its own and removes it whole. InputError naming the path.
std::string make_new_file(const std::string& dir, const std::string& name);

// Names of the sections, in the order `cbit demo` runs them.
const std::vector<std::string>& section_names();
// A section runs its scenario file when one is compiled in (scenario/embedded.h: sme-full, ...),
// else its C++ (the sections not yet converted, issue 11).
Section run_section(const std::string& name, const DemoOptions& opt);
// The compiled-in file of a section ("examples/scenarios/sme-full.toml"), "" when it has none.
std::string section_file(const std::string& name);

// Before anything runs: the CPU model with every --set checked (demo/cpu_overrides.h), every
// name a section, and the model having what each named section needs (SME, SEV, ASIDs).
// Throws InputError, e.g. "demo section smetest needs SME (CPUID Fn8000_001F EAX[0]), ...".
void check_sections(const std::vector<std::string>& names, const DemoOptions& opt);

}  // namespace cbit::demo
