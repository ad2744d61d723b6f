// The attack matrix: every attack of src/attacks/ that a malicious hypervisor can run against its
// own guest, in each mode (off = plain VM, the control; SEV; SEV-ES; SEV-SNP), each on a fresh
// host with the same seed (src/testbed/sev_matrix_run.h runs them). The verdicts are measured,
// not tabulated.
//
// The SNP variants (docs/attacks-snp.md): four mitigations that SNP alone does not give, each
// with the attack it stops, run in SNP mode on a platform without it and on one with it --
// ciphertext hiding (CipherLeaks), the firmware's DRAM alias check (BadRAM), the CacheWarp
// microcode fix, restricted injection (WeSee).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

// What a host offers besides its CPU preset (the testbed builds it).
struct Platform {
  std::vector<std::string> cpu_overrides;  // `--set field=value`, e.g. "cachewarp-fix=0"
  bool badram_dimm = false;                // a DIMM whose SPD claims one more row bit
  bool snp_alias_check = false;            // firmware with the boot-time alias check
  bool ciphertext_hiding = false;          // SNP_INIT_EX + the guest's policy bit 24
  bool restricted_injection = false;       // the guest's SEV_FEATURES bit 3
};

struct MatrixOptions {
  std::string cpu = "milan";
  uint64_t seed = 1;
  std::vector<SevMode> modes = {SevMode::None, SevMode::Sev, SevMode::SevEs, SevMode::Snp};
  std::vector<std::string> cpu_overrides;  // the user's --set, before any row's own
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
  Platform platform = {};  // the attack's precondition (BadRAM: the attacker's DIMM)
  // A row of the matrix (`cbit attack --matrix`). The attacks on a guest program
  // (cipherleaks-password*) are not: their verdict is the program's, not the mode's, and they
  // take many guest runs; `cbit attack NAME --mode M` runs them.
  bool in_matrix = true;
};
const std::vector<SevAttackInfo>& sev_attacks();
// Throws InputError naming the attack and listing the known ones.
const SevAttackInfo& sev_attack_by_name(const std::string& name);

// A mitigation of the SNP column: the attack it concerns, run in SNP mode on `without` and on
// `with` (each the attack's own platform plus these).
struct SnpVariant {
  const char* name;    // "ciphertext-hiding"
  const char* title;   // "ciphertext hiding"
  const char* attack;  // a row of sev_attacks()
  Platform without, with;
  const char* source;  // paper / bulletin
};
const std::vector<SnpVariant>& snp_variants();

struct VariantRow {
  std::string variant, title, attack;
  SevAttackResult without, with;
};

// Fixed-width table: attack x mode, each cell "YES|no|ERR <what the attacker got>".
std::string render_matrix_text(const std::vector<MatrixRow>& rows, const MatrixOptions& opt);
nlohmann::json render_matrix_json(const std::vector<MatrixRow>& rows, const MatrixOptions& opt);
// The variants as a second table: mitigation x {without, with}, SNP mode.
std::string render_variants_text(const std::vector<VariantRow>& rows);
nlohmann::json render_variants_json(const std::vector<VariantRow>& rows);

}  // namespace cbit::attacks
