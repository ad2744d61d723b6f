// The malicious hypervisor against SEV, SEV-ES and SEV-SNP guests: the attack matrix of
// src/attacks/ (sev_matrix.h), run on fresh hosts (src/testbed/) and checked against what the
// hardware generations are known to stop. SEV hides memory; SEV-ES also hides and protects
// registers; neither protects the integrity of memory or of the nested mappings, which SNP's
// RMP does (host writes fault, remaps and replays are refused). What SNP alone does not stop --
// CipherLeaks, CacheWarp, WeSee, BadRAM -- works in the SNP column and is stopped in the
// variants table by the mitigation that exists for it (docs/attacks-snp.md). Every row has the
// plain VM as the control, where every attack succeeds.
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

// What each attack must do in each mode: true = the attacker succeeds. CacheWarp depends on
// the part's microcode (CpuModel::cachewarp_fix): it is checked against the model below.
struct Expectation {
  bool off, sev, sev_es, snp;
};
const std::map<std::string, Expectation>& expected() {
  static const std::map<std::string, Expectation> e = {
      {"hv-memory-scan", {true, false, false, false}},
      {"hv-write-private", {true, false, false, false}},
      {"hv-register-access", {true, true, false, false}},
      {"npt-remap", {true, true, true, false}},
      {"ciphertext-replay", {true, true, true, false}},
      {"cipherleaks", {true, true, true, true}},
      {"cipherleaks-npf", {true, true, true, true}},
      {"dma-private", {true, false, false, false}},
      {"wesee-vc-injection", {true, true, true, true}},
      {"badram-alias", {true, true, true, true}},
  };
  return e;
}
}  // namespace

Section run_sev_attacks(const DemoOptions& opt) {
  Section s;
  s.id = "sev-attacks";
  s.title = "A malicious hypervisor against SEV, SEV-ES and SEV-SNP guests (seeds 002-004)";
  attacks::MatrixOptions mo;
  auto model = hw::cpu_model_by_name(opt.cpu);
  for (const auto& o : opt.overrides) hw::apply_cpu_override(model, o);
  const auto& f = model.fn8000_001f;
  mo.cpu = opt.cpu;
  mo.cpu_overrides = opt.overrides;
  if (!(f.has(hw::SevFeature::SevEs) && f.min_sev_asid() > 1)) {
    mo.cpu = "rome";
    mo.cpu_overrides.clear();
    model = hw::cpu_model_by_name("rome");
    s.lines.push_back(fmt::format(
        "({}: CPUID Fn8000_001F EDX={} leaves no ASID for SEV-ES guests: the matrix runs on rome)",
        opt.cpu, f.min_sev_asid()));
  }
  mo.seed = opt.seed.value_or(1);
  const bool snp = model.fn8000_001f.has(hw::SevFeature::SevSnp);
  if (!snp) {
    mo.modes.pop_back();  // no SNP column on this part
    s.lines.push_back(
        fmt::format("({}: no SEV-SNP: the SNP column and its variants are left out)", mo.cpu));
  }
  const auto rows = testbed::run_sev_attack_matrix(mo);
  std::istringstream table(attacks::render_matrix_text(rows, mo));
  for (std::string line; std::getline(table, line);) {
    if (line.rfind("Details:", 0) == 0) break;
    s.lines.push_back(line);
  }
  for (const auto& row : rows) {
    const auto it = expected().find(row.attack);
    const bool warp = !model.cachewarp_fix;
    const Expectation e = row.attack == "cachewarp" ? Expectation{warp, warp, warp, warp}
                          : it != expected().end()  ? it->second
                                                    : Expectation{};
    if (it == expected().end() && row.attack != "cachewarp") continue;
    const bool want[4] = {e.off, e.sev, e.sev_es, e.snp};
    for (size_t i = 0; i < row.cells.size() && i < 4; ++i) {
      const auto& c = row.cells[i];
      const char* mode = sw::hv::sev_mode_name(c.mode);
      s.check(fmt::format("{} under {}: {}", row.title, mode, want[i] ? "works" : "blocked"),
              c.verdict == (want[i] ? Verdict::Succeeded : Verdict::Blocked));
    }
  }
  s.data = attacks::render_matrix_json(rows, mo);
  if (snp) {
    const auto variants = testbed::run_snp_variants(mo);
    s.lines.push_back("");
    std::istringstream vt(attacks::render_variants_text(variants));
    for (std::string line; std::getline(vt, line);) s.lines.push_back(line);
    for (const auto& v : variants) {
      s.check(fmt::format("SEV-SNP without {}: {} works", v.title, v.attack),
              v.without.verdict == Verdict::Succeeded);
      s.check(fmt::format("SEV-SNP with {}: {} blocked", v.title, v.attack),
              v.with.verdict == Verdict::Blocked);
    }
    s.data["snp_variants"] = attacks::render_variants_json(variants);
  }
  return s;
}

}  // namespace cbit::demo
