// The attack matrix, SEV vs SEV-ES: every attack of src/attacks/ that a malicious hypervisor can
// run against its own guest, in each of the three modes (off = plain VM, the control; SEV;
// SEV-ES), each on a fresh host with the same seed (src/testbed/sev_matrix_run.h runs them). The
// verdicts are measured, not tabulated.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

struct MatrixOptions {
  std::string cpu = "milan";
  uint64_t seed = 1;
  std::vector<SevMode> modes = {SevMode::None, SevMode::Sev, SevMode::SevEs};
};

struct MatrixRow {
  std::string attack;                  // "hv-memory-scan", ...
  std::string title;                   // "HV memory scan"
  std::vector<SevAttackResult> cells;  // one per MatrixOptions::modes, in that order
};

struct SevAttackInfo {
  const char* name;
  const char* title;
  const char* what;  // one line: what the attacker tries
  SevAttackResult (*run)(HostAttacker&, SevMode);
};
const std::vector<SevAttackInfo>& sev_attacks();
// Throws InputError naming the attack and listing the known ones.
const SevAttackInfo& sev_attack_by_name(const std::string& name);

// Fixed-width table: attack x mode, each cell "YES|no|ERR <what the attacker got>".
std::string render_matrix_text(const std::vector<MatrixRow>& rows, const MatrixOptions& opt);
nlohmann::json render_matrix_json(const std::vector<MatrixRow>& rows, const MatrixOptions& opt);

}  // namespace cbit::attacks
