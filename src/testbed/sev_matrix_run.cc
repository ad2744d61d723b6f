#include "testbed/sev_matrix_run.h"

#include <fmt/format.h>

#include <exception>

#include "common/error.h"
#include "common/trace.h"
#include "testbed/sev_host.h"

namespace cbit::testbed {

using attacks::MatrixRow;
using attacks::SevAttackResult;
using attacks::SevMode;

SevAttackResult run_sev_attack(const attacks::SevAttackInfo& a, SevMode mode,
                               const attacks::MatrixOptions& opt, const attacks::Platform& extra) {
  SevHostOptions ho;
  ho.cpu = opt.cpu;
  ho.seed = opt.seed;
  ho.cpu_overrides = opt.cpu_overrides;
  for (const auto* p : {&a.platform, &extra}) {
    ho.cpu_overrides.insert(ho.cpu_overrides.end(), p->cpu_overrides.begin(),
                            p->cpu_overrides.end());
    ho.badram_dimm |= p->badram_dimm;
    ho.snp_alias_check |= p->snp_alias_check;
    ho.ciphertext_hiding |= p->ciphertext_hiding;
    ho.restricted_injection |= p->restricted_injection;
  }
  const std::string span_name =
      trace::on() ? fmt::format("attack {} [{}]", a.name, attacks::mode_flag(mode)) : std::string();
  trace::Span span(trace::track::kAttacker, "attack", span_name);
  try {
    SevHost host(ho);
    SevAttackResult r = a.run(host.attacker(), mode);
    if (span.active()) [[unlikely]]
      span.end({{"verdict", attacks::verdict_name(r.verdict)}, {"got", r.got}});
    return r;
  } catch (const InputError&) {
    throw;  // bad user input (e.g. --cpu): not a property of the attack
  } catch (const std::exception& e) {
    SevAttackResult r;
    r.attack = a.name;
    r.mode = mode;
    r.verdict = attacks::Verdict::Error;
    r.got = "n/a";
    r.detail = e.what();
    return r;
  }
}

std::vector<MatrixRow> run_sev_attack_matrix(const attacks::MatrixOptions& opt) {
  std::vector<MatrixRow> rows;
  for (const auto& a : attacks::sev_attacks()) {
    if (!a.in_matrix) continue;
    MatrixRow row{a.name, a.title, {}};
    for (SevMode m : opt.modes) row.cells.push_back(run_sev_attack(a, m, opt));
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<attacks::VariantRow> run_snp_variants(const attacks::MatrixOptions& opt) {
  std::vector<attacks::VariantRow> rows;
  for (const auto& v : attacks::snp_variants()) {
    const auto& a = attacks::sev_attack_by_name(v.attack);
    rows.push_back({v.name, v.title, v.attack, run_sev_attack(a, SevMode::Snp, opt, v.without),
                    run_sev_attack(a, SevMode::Snp, opt, v.with)});
  }
  return rows;
}

}  // namespace cbit::testbed
