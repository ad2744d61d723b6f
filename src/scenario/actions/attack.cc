// The malicious hypervisor's attacks as scenario steps (issue 11 §1; docs/attacks-sev.md,
// docs/attacks-snp.md): what `cbit attack` runs, from a file.
//
//  - `attack`: one attack of attacks/sev_matrix.h (hv-memory-scan ... badram-alias) in one mode
//    (off, sev, sev-es, snp) on a fresh simulated SEV host (testbed/sev_matrix_run.h), with the
//    CPU preset and its --set overrides, the seed, and the platform's extras: the attacker's
//    BadRAM DIMM, the firmware's alias check, ciphertext hiding, restricted injection, or one
//    of the SNP mitigations of the variants table with it on or off. Result: what
//    `cbit attack NAME --mode M --json` prints ({attack, mode, verdict, got, detail,
//    evidence}), the verdict "succeeded", "blocked" or "error".
//  - `attack-matrix`: every attack (or the listed ones) in every mode, then the SNP mitigations
//    without and with (`cbit attack --matrix`). Each cell is checkable by path:
//    "<step>.<attack>.<mode>" is its verdict ("matrix.cipherleaks.sev-es" = "succeeded"),
//    "<step>.cells.<attack>.<mode>" the whole cell, "<step>.variants.<name>.with" / ".without"
//    the mitigations' verdicts.
//
// Verdicts are measured by each attack (never looked up): a scenario states what it expects
// with `expect`. Bad input (an unknown attack, a --set out of range) is an InputError naming
// the step's key; an attack that cannot run on the model is the verdict "error" with the
// reason in `detail`, as `cbit attack` reports it.
#include <fmt/format.h>

#include <exception>
#include <sstream>

#include "attacks/sev_matrix.h"
#include "common/error.h"
#include "demo/cpu_overrides.h"
#include "scenario/action.h"
#include "scenario/run.h"
#include "testbed/sev_host.h"
#include "testbed/sev_matrix_run.h"

namespace cbit::scenario {

namespace {

using attacks::MatrixOptions;
using attacks::Platform;
using attacks::SevAttackResult;
using attacks::SevMode;
using attacks::Verdict;

constexpr uint64_t kDefaultSeed = 1;  // `cbit attack`'s

std::vector<std::string> attack_names() {
  std::vector<std::string> n;
  for (const auto& a : attacks::sev_attacks()) n.push_back(a.name);
  return n;
}

std::vector<std::string> variant_names() {
  std::vector<std::string> n;
  for (const auto& v : attacks::snp_variants()) n.push_back(v.name);
  return n;
}

const attacks::SnpVariant* variant_by_name(const std::string& name) {
  for (const auto& v : attacks::snp_variants())
    if (name == v.name) return &v;
  return nullptr;
}

std::vector<std::string> cpu_names() {
  std::vector<std::string> n;
  for (const auto& m : hw::cpu_model_presets()) n.push_back(m.name);
  return n;
}

std::string tag(const Run& run) {
  std::string t = run.case_id();
  if (!run.step_id().empty()) t += (t.empty() ? "" : ".") + run.step_id();
  return t.empty() ? "" : t + ": ";
}

// Each `set` entry as `cbit demo --set` checks it.
void check_sets(const Args& a) {
  for (const auto& s : a.strings("set")) {
    try {
      demo::check_set_assignment(s);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("set"), e.what()));
    }
  }
}

// The CPU preset and overrides a step's hosts use: the step's `cpu`, else the run's (--cpu or
// the file's), else milan; the step's `set` list, then the command line's --set. Checked as
// `cbit attack` checks them, the error naming the step's key.
struct AttackCpu {
  std::string cpu;
  std::vector<std::string> overrides;
  hw::CpuModel model;
};
AttackCpu attack_cpu(const Args& a, Run& run) {
  AttackCpu c;
  c.cpu = a.str("cpu", run.options().cpu.empty() ? "milan" : run.options().cpu);
  c.overrides = a.strings("set");
  for (const auto& s : run.options().overrides) c.overrides.push_back(s);
  try {
    c.model = demo::resolve_cpu_model(c.cpu, c.overrides);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where(a.has("set") ? "set" : "cpu"), e.what()));
  }
  return c;
}

uint64_t attack_seed(const Args& a, Run& run) {
  return a.has("seed") ? a.u64("seed") : run.options().seed.value_or(kDefaultSeed);
}

// ---- attack ----

// The keys that describe a fresh host: not with `host`, which names one already made.
constexpr const char* kFreshHostKeys[] = {"cpu",
                                          "set",
                                          "seed",
                                          "mitigation",
                                          "mitigated",
                                          "badram_dimm",
                                          "snp_alias_check",
                                          "ciphertext_hiding",
                                          "restricted_injection"};

void check_attack(const Args& a) {
  check_sets(a);
  if (a.has("mitigated") && !a.has("mitigation"))
    throw InputError(a.where("mitigated") + ": names no mitigation: add `mitigation`");
  if (a.has("host"))
    for (const char* k : kFreshHostKeys)
      if (a.has(k))
        throw InputError(fmt::format(
            "{}: describes a fresh host; with `host` the attack runs on that host as it is",
            a.where(k)));
}

// The attack on a host an earlier `sev-host` step made: the attack gets only its attacker()
// interfaces, as on a fresh one; a failure to set up is the verdict "error" (as
// testbed::run_sev_attack reports it).
SevAttackResult attack_on(testbed::SevHost& host, const attacks::SevAttackInfo& info,
                          SevMode mode) {
  try {
    return info.run(host.attacker(), mode);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    SevAttackResult r;
    r.attack = info.name;
    r.mode = mode;
    r.verdict = Verdict::Error;
    r.got = "n/a";
    r.detail = e.what();
    return r;
  }
}

Platform attack_platform(const Args& a) {
  Platform p;
  if (a.has("mitigation")) {
    const auto* v = variant_by_name(a.str("mitigation"));
    if (!v) throw InputError(a.where("mitigation") + ": unknown mitigation");
    p = a.flag("mitigated", true) ? v->with : v->without;
  }
  p.badram_dimm |= a.flag("badram_dimm");
  p.snp_alias_check |= a.flag("snp_alias_check");
  p.ciphertext_hiding |= a.flag("ciphertext_hiding");
  p.restricted_injection |= a.flag("restricted_injection");
  return p;
}

nlohmann::json run_attack(const Args& a, Run& run) {
  const auto& info = [&]() -> const attacks::SevAttackInfo& {
    try {
      return attacks::sev_attack_by_name(a.str("attack"));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("attack"), e.what()));
    }
  }();
  SevMode mode;
  try {
    mode = attacks::parse_sev_mode(a.str("mode"));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where("mode"), e.what()));
  }
  if (a.has("host")) {
    testbed::SevHost& host = run.get<testbed::SevHost>(a, "host", "a SEV host");
    const SevAttackResult r = attack_on(host, info, mode);
    run.say(fmt::format("{}{} [{}] on host {} ({}): {} - {}", tag(run), info.title,
                        attacks::mode_flag(mode), a.str("host"), host.m.cpu_model().name,
                        attacks::verdict_name(r.verdict), r.got));
    run.say("  " + r.detail);
    nlohmann::json j = r.to_json();
    j["cpu"] = host.m.cpu_model().name;
    j["host"] = a.str("host");
    return j;
  }
  const AttackCpu cpu = attack_cpu(a, run);
  MatrixOptions mo;
  mo.cpu = cpu.cpu;
  mo.cpu_overrides = cpu.overrides;
  mo.seed = attack_seed(a, run);
  const Platform extra = attack_platform(a);
  if (extra.ciphertext_hiding) {
    // SNP_INIT_EX with ciphertext hiding on a part without it fails (KVM_SEV_INIT2: -EINVAL):
    // said here, before the host boots. Known only now: the command line's --set may add it.
    std::vector<std::string> all = cpu.overrides;
    all.insert(all.end(), extra.cpu_overrides.begin(), extra.cpu_overrides.end());
    if (!demo::resolve_cpu_model(cpu.cpu, all).ciphertext_hiding)
      throw InputError(fmt::format(
          "{}: the CPU ({}) has no ciphertext hiding (SNP_INIT_EX would fail: KVM_SEV_INIT2: "
          "-EINVAL); give the step set = [\"ciphertext-hiding=1\"], or cpu = \"genoa\"",
          a.where(a.has("ciphertext_hiding") ? "ciphertext_hiding" : "mitigation"),
          cpu.model.name));
  }
  const SevAttackResult r = testbed::run_sev_attack(info, mode, mo, extra);

  std::string with;
  if (a.has("mitigation"))
    with =
        fmt::format(", {} {}", a.flag("mitigated", true) ? "with" : "without", a.str("mitigation"));
  run.say(fmt::format("{}{} [{}] on {}{}: {} - {}", tag(run), info.title, attacks::mode_flag(mode),
                      cpu.model.name, with, attacks::verdict_name(r.verdict), r.got));
  run.say("  " + r.detail);
  nlohmann::json j = r.to_json();
  j["cpu"] = cpu.model.name;
  j["seed"] = mo.seed;
  j["platform"] = {{"set", extra.cpu_overrides},
                   {"badram_dimm", extra.badram_dimm || info.platform.badram_dimm},
                   {"snp_alias_check", extra.snp_alias_check},
                   {"ciphertext_hiding", extra.ciphertext_hiding},
                   {"restricted_injection", extra.restricted_injection}};
  return j;
}

// ---- attack-matrix ----

void check_matrix(const Args& a) {
  check_sets(a);
  const auto known = attack_names();
  for (const auto& n : a.strings("attacks"))
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw InputError(fmt::format("{}: unknown attack '{}' (known: {})", a.where("attacks"), n,
                                   fmt::join(known, ", ")));
  for (const auto& m : a.strings("modes")) {
    try {
      attacks::parse_sev_mode(m);
    } catch (const InputError&) {
      throw InputError(
          fmt::format("{}: unknown mode '{}' (off, sev, sev-es, snp)", a.where("modes"), m));
    }
  }
  const std::string fb = a.str("fallback");
  const auto names = cpu_names();
  if (!fb.empty() && std::find(names.begin(), names.end(), fb) == names.end())
    throw InputError(fmt::format("{}: unknown CPU preset '{}' (known: {})", a.where("fallback"), fb,
                                 fmt::join(names, ", ")));
}

bool has_es_asids(const hw::CpuModel& m) {
  return m.fn8000_001f.has(hw::SevFeature::SevEs) && m.fn8000_001f.min_sev_asid() > 1;
}

// The table as `cbit attack --matrix` prints it, without its per-cell details.
void say_table(Run& run, const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Details:", 0) == 0) break;
    run.say(line);
  }
}

// What the model lacks for the columns: "" when nothing. SEV-ES and SNP guests take ASIDs below
// EDX (CPUID Fn8000_001F), SNP needs EAX[4].
std::string matrix_lacks(const hw::CpuModel& m, const std::vector<SevMode>& modes) {
  const auto has = [&](SevMode x) {
    return std::find(modes.begin(), modes.end(), x) != modes.end();
  };
  if ((has(SevMode::SevEs) || has(SevMode::Snp)) && !has_es_asids(m))
    return fmt::format("CPUID Fn8000_001F EDX={} leaves no ASID for SEV-ES guests",
                       m.fn8000_001f.min_sev_asid());
  if (has(SevMode::Snp) && !m.fn8000_001f.has(hw::SevFeature::SevSnp))
    return "CPUID Fn8000_001F EAX[4]=0: no SEV-SNP";
  return "";
}

nlohmann::json run_matrix(const Args& a, Run& run) {
  AttackCpu cpu = attack_cpu(a, run);
  MatrixOptions mo;
  if (a.has("modes")) {
    mo.modes.clear();
    for (const auto& m : a.strings("modes")) mo.modes.push_back(attacks::parse_sev_mode(m));
  }
  const std::string fallback = a.str("fallback", "milan");
  const std::string lacks = matrix_lacks(cpu.model, mo.modes);
  if (!lacks.empty() && !fallback.empty() && fallback != cpu.cpu) {
    // Every column needs its guests: the preset that has them (milan: the first part with
    // SEV-SNP), without this model's overrides.
    run.say(fmt::format("({}: {}: the matrix runs on {})", cpu.model.name, lacks, fallback));
    cpu.cpu = fallback;
    cpu.overrides.clear();
    cpu.model = demo::resolve_cpu_model(fallback, {});
  }
  mo.cpu = cpu.cpu;
  mo.cpu_overrides = cpu.overrides;
  mo.seed = attack_seed(a, run);
  const bool snp = cpu.model.fn8000_001f.has(hw::SevFeature::SevSnp);
  if (!snp && std::erase(mo.modes, SevMode::Snp) > 0)
    run.say(fmt::format("({}: no SEV-SNP: the SNP column and its variants are left out)",
                        cpu.model.name));

  const std::vector<std::string> only = a.strings("attacks");
  std::vector<attacks::MatrixRow> rows;
  for (const auto& info : attacks::sev_attacks()) {
    if (!only.empty() && std::find(only.begin(), only.end(), info.name) == only.end()) continue;
    if (only.empty() && !info.in_matrix) continue;  // a guest program's attack: named only
    attacks::MatrixRow row{info.name, info.title, {}};
    for (SevMode m : mo.modes) row.cells.push_back(testbed::run_sev_attack(info, m, mo));
    rows.push_back(std::move(row));
  }
  say_table(run, attacks::render_matrix_text(rows, mo));

  nlohmann::json j = {{"cpu", cpu.model.name}, {"seed", mo.seed}, {"set", mo.cpu_overrides}};
  auto& modes = j["modes"] = nlohmann::json::array();
  for (SevMode m : mo.modes) modes.push_back(attacks::mode_flag(m));
  auto& cells = j["cells"] = nlohmann::json::object();
  for (const auto& row : rows) {
    for (const auto& c : row.cells) {
      j[row.attack][attacks::mode_flag(c.mode)] = attacks::verdict_name(c.verdict);
      cells[row.attack][attacks::mode_flag(c.mode)] = c.to_json();
    }
  }
  auto& variants = j["variants"] = nlohmann::json::object();
  if (snp && a.flag("variants", true)) {
    std::vector<attacks::VariantRow> vrows;
    for (const auto& v : attacks::snp_variants()) {
      if (!only.empty() && std::find(only.begin(), only.end(), v.attack) == only.end()) continue;
      const auto& info = attacks::sev_attack_by_name(v.attack);
      vrows.push_back({v.name, v.title, v.attack,
                       testbed::run_sev_attack(info, SevMode::Snp, mo, v.without),
                       testbed::run_sev_attack(info, SevMode::Snp, mo, v.with)});
    }
    run.say("");
    std::istringstream vt(attacks::render_variants_text(vrows));
    for (std::string line; std::getline(vt, line);) run.say(line);
    for (const auto& v : vrows)
      variants[v.variant] = {
          {"attack", v.attack},
          {"title", v.title},
          {"without", attacks::verdict_name(v.without.verdict)},
          {"with", attacks::verdict_name(v.with.verdict)},
          {"cells", {{"without", v.without.to_json()}, {"with", v.with.to_json()}}}};
  }
  return j;
}

const std::vector<Key>& cpu_keys() {
  static const std::vector<Key> k = {
      {"cpu", KeyType::String, false, "--cpu, else [scenario] cpu, else milan",
       "the CPU preset of the attacked host", cpu_names()},
      {"set",
       KeyType::StringList,
       false,
       "[]",
       "CPU-model overrides as `cbit attack --set` takes them (\"cachewarp-fix=0\"); --set "
       "applies after",
       {}},
      {"seed",
       KeyType::Integer,
       false,
       "--seed, else 1",
       "the seed of the simulated keys (each host is made afresh with it)",
       {}},
  };
  return k;
}

}  // namespace

void add_attack_actions(std::vector<Action>& out) {
  std::vector<Key> attack_keys = {
      {"attack", KeyType::String, true, "",
       "the attack, as `cbit attack NAME` names it (docs/attacks-sev.md)", attack_names()},
      {"mode",
       KeyType::String,
       true,
       "",
       "the attacked VM's mode: off is the plain VM (the control)",
       {"off", "sev", "sev-es", "snp"}},
  };
  attack_keys.push_back({"host",
                         KeyType::String,
                         false,
                         "a fresh host",
                         "a `sev-host` step: the attack runs on that host as it is (then none of "
                         "the keys below)",
                         {}});
  for (const auto& k : cpu_keys()) attack_keys.push_back(k);
  const std::vector<Key> platform_keys = {
      {"mitigation", KeyType::String, false, "none",
       "one of the SNP mitigations of the variants table: the host is the one the table runs "
       "its attack on (docs/attacks-snp.md)",
       variant_names()},
      {"mitigated",
       KeyType::Bool,
       false,
       "true",
       "with `mitigation`: true = the platform with the mitigation, false = the one without",
       {}},
      {"badram_dimm",
       KeyType::Bool,
       false,
       "false (badram-alias: true)",
       "the attacker's DIMM whose SPD claims one row bit too many",
       {}},
      {"snp_alias_check",
       KeyType::Bool,
       false,
       "false",
       "SEV firmware with the boot-time DRAM alias check (SNP_INIT refuses aliased DRAM)",
       {}},
      {"ciphertext_hiding",
       KeyType::Bool,
       false,
       "false",
       "SNP_INIT_EX with ciphertext hiding and the guest's policy bit 24 (the CPU needs "
       "`set = [\"ciphertext-hiding=1\"]`)",
       {}},
      {"restricted_injection",
       KeyType::Bool,
       false,
       "false",
       "the guest's SEV_FEATURES bit 3: the hypervisor may inject only #HV",
       {}},
  };
  for (const auto& k : platform_keys) attack_keys.push_back(k);
  out.push_back({"attack",
                 "a malicious hypervisor's attack on its own guest in one mode, on a fresh host "
                 "(`cbit attack NAME --mode M`)",
                 attack_keys, run_attack, check_attack});

  std::vector<Key> matrix_keys = cpu_keys();
  matrix_keys.push_back({"fallback",
                         KeyType::String,
                         false,
                         "milan",
                         "the preset used (without the overrides) when the CPU lacks what the "
                         "columns need: ASIDs for SEV-ES guests, SEV-SNP (\"\": none)",
                         {}});
  matrix_keys.push_back({"attacks",
                         KeyType::StringList,
                         false,
                         "every attack of the matrix",
                         "the rows: attack names as `attack` takes them",
                         {}});
  matrix_keys.push_back({"modes",
                         KeyType::StringList,
                         false,
                         "[\"off\", \"sev\", \"sev-es\", \"snp\"]",
                         "the columns (snp is left out on a CPU without SEV-SNP)",
                         {}});
  matrix_keys.push_back({"variants",
                         KeyType::Bool,
                         false,
                         "true",
                         "also run the SNP mitigations, each attack without and with its "
                         "mitigation (when the CPU has SEV-SNP)",
                         {}});
  out.push_back({"attack-matrix",
                 "every attack in every mode, then the SNP mitigations without and with "
                 "(`cbit attack --matrix`)",
                 matrix_keys, run_matrix, check_matrix});
}

}  // namespace cbit::scenario
