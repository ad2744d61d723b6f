#include "testbed/sev_matrix_run.h"

#include <exception>

#include "common/error.h"
#include "testbed/sev_host.h"

namespace cbit::testbed {

using attacks::MatrixRow;
using attacks::SevAttackResult;
using attacks::SevMode;

SevAttackResult run_sev_attack(const attacks::SevAttackInfo& a, SevMode mode,
                               const attacks::MatrixOptions& opt) {
  try {
    SevHost host({opt.cpu, opt.seed});
    return a.run(host.attacker(), mode);
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
    MatrixRow row{a.name, a.title, {}};
    for (SevMode m : opt.modes) row.cells.push_back(run_sev_attack(a, m, opt));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace cbit::testbed
