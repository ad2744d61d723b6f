// The malicious hypervisor against SEV and SEV-ES guests: the attack matrix of src/attacks/
// (sev_matrix.h), run on fresh hosts (src/testbed/) and checked against what the hardware
// generations are known to stop. SEV hides memory; SEV-ES also hides and protects registers;
// neither protects the integrity of memory or of the nested mappings (SNP's RMP does), and
// SEV-ES's deterministic VMSA encryption leaks equal values (CipherLeaks) — each row shows it
// with the plain VM as the control, where every attack succeeds.
#include <fmt/format.h>

#include <map>
#include <sstream>

#include "attacks/sev_matrix.h"
#include "demo/demo.h"
#include "testbed/sev_matrix_run.h"

namespace cbit::demo {

namespace {
using attacks::Verdict;
using sw::hv::SevMode;

// What each attack must do in each mode: true = the attacker succeeds.
struct Expectation {
  bool off, sev, sev_es;
};
const std::map<std::string, Expectation>& expected() {
  static const std::map<std::string, Expectation> e = {
      {"hv-memory-scan", {true, false, false}}, {"hv-register-access", {true, true, false}},
      {"npt-remap", {true, true, true}},        {"ciphertext-replay", {true, true, true}},
      {"cipherleaks", {true, true, true}},      {"cipherleaks-npf", {true, true, true}},
      {"dma-private", {true, false, false}},
  };
  return e;
}
}  // namespace

Section run_sev_attacks(const DemoOptions& opt) {
  Section s;
  s.id = "sev-attacks";
  s.title = "A malicious hypervisor against SEV and SEV-ES guests (seeds 002-004)";
  attacks::MatrixOptions mo;
  auto model = hw::cpu_model_by_name(opt.cpu);
  for (const auto& o : opt.overrides) hw::apply_cpu_override(model, o);
  const auto& f = model.fn8000_001f;
  mo.cpu = opt.cpu;
  if (!(f.has(hw::SevFeature::SevEs) && f.min_sev_asid() > 1)) {
    mo.cpu = "rome";
    s.lines.push_back(fmt::format(
        "({}: CPUID Fn8000_001F EDX={} leaves no ASID for SEV-ES guests: the matrix runs on rome)",
        opt.cpu, f.min_sev_asid()));
  }
  mo.seed = opt.seed.value_or(1);
  const auto rows = testbed::run_sev_attack_matrix(mo);
  std::istringstream table(attacks::render_matrix_text(rows, mo));
  for (std::string line; std::getline(table, line);) {
    if (line.rfind("Details:", 0) == 0) break;
    s.lines.push_back(line);
  }
  for (const auto& row : rows) {
    const auto it = expected().find(row.attack);
    if (it == expected().end()) continue;
    const bool want[3] = {it->second.off, it->second.sev, it->second.sev_es};
    for (size_t i = 0; i < row.cells.size() && i < 3; ++i) {
      const auto& c = row.cells[i];
      const char* mode = sw::hv::sev_mode_name(c.mode);
      s.check(fmt::format("{} under {}: {}", row.title, mode, want[i] ? "works" : "blocked"),
              c.verdict == (want[i] ? Verdict::Succeeded : Verdict::Blocked));
    }
  }
  s.data = attacks::render_matrix_json(rows, mo);
  return s;
}

}  // namespace cbit::demo
