// `cbit attack`: a malicious hypervisor against its own guest, on the simulated SEV host.
//   cbit attack --matrix [--cpu milan] [--set f=v] [--seed N] [--json]
//       every attack x off / SEV / SEV-ES / SEV-SNP, then the SNP mitigations (without / with)
//   cbit attack NAME --mode off|sev|sev-es|snp [--json]       one attack in one mode
// (docs/attacks-sev.md, docs/attacks-snp.md). Exit codes: 0 the attacks ran (whatever their
// verdicts); 2 bad input.
#include <cstdio>

#include "attacks/sev_matrix.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/error.h"
#include "demo/cpu_overrides.h"
#include "hw/cpu_models.h"
#include "testbed/sev_matrix_run.h"

namespace cbit::cli {
namespace {

struct AttackArgs {
  std::string name, mode, cpu = "milan", trace;
  std::vector<std::string> set;
  uint64_t seed = 1;
  bool matrix = false, json = false;
};

void run_attack(const AttackArgs& a, Context& ctx) {
  using namespace cbit::attacks;
  ctx.exit_code = 2;  // any InputError below is bad input
  MatrixOptions opt;
  opt.cpu = a.cpu;
  opt.seed = a.seed;
  opt.cpu_overrides = a.set;
  demo::resolve_cpu_model(a.cpu, a.set);  // names --cpu / --set in the error before anything runs
  if (a.matrix) {
    if (!a.name.empty()) throw InputError("--matrix runs every attack: drop '" + a.name + "'");
    if (!a.mode.empty()) throw InputError("--mode: not with --matrix (it runs every mode)");
    const auto rows = testbed::run_sev_attack_matrix(opt);
    const auto variants = testbed::run_snp_variants(opt);
    std::string out;
    if (a.json) {
      auto j = render_matrix_json(rows, opt);
      j["snp_variants"] = render_variants_json(variants);
      out = j.dump(2) + "\n";
    } else {
      out = render_matrix_text(rows, opt) + "\n" + render_variants_text(variants);
    }
    std::fputs(out.c_str(), stdout);
    ctx.exit_code = 0;
    return;
  }
  if (a.name.empty()) throw InputError("attack: give an attack NAME with --mode, or --matrix");
  const SevAttackInfo& info = sev_attack_by_name(a.name);
  if (a.mode.empty())
    throw InputError("--mode: required with an attack name (off, sev, sev-es, snp)");
  const SevMode mode = parse_sev_mode(a.mode);
  const SevAttackResult r = testbed::run_sev_attack(info, mode, opt);
  if (a.json) {
    std::fputs((r.to_json().dump(2) + "\n").c_str(), stdout);
  } else {
    std::printf("%s [%s]: %s - %s\n  %s\n", info.title, mode_flag(mode), verdict_name(r.verdict),
                r.got.c_str(), r.detail.c_str());
    for (const auto& [k, v] : r.evidence.items())
      std::printf("  %-30s %s\n", k.c_str(),
                  v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  }
  ctx.exit_code = 0;
}

}  // namespace

void add_attack_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<AttackArgs>();
  auto* cmd = app.add_subcommand(
      "attack",
      "A malicious hypervisor against its guest on the simulated host: memory scan, register "
      "access and writes, NPT remap (SEVered), ciphertext replay, CipherLeaks, DMA, CacheWarp, "
      "WeSee, BadRAM; off vs SEV vs SEV-ES vs SEV-SNP");
  cmd->add_option("NAME", args->name,
                  "Attack: hv-memory-scan, hv-write-private, hv-register-access, npt-remap, "
                  "ciphertext-replay, cipherleaks, cipherleaks-npf, dma-private, cachewarp, "
                  "wesee-vc-injection, badram-alias, cipherleaks-password, "
                  "cipherleaks-password-ct (a program in the guest; not in --matrix)");
  cmd->add_flag("--matrix", args->matrix, "Run every attack in every mode and print the table");
  cmd->add_option("--mode", args->mode, "The VM's mode: off, sev, sev-es or snp");
  cmd->add_option("--cpu", args->cpu, "CPU model preset (default milan)");
  cmd->add_option("--set", args->set,
                  "Change a CPU-model field (field=value; e.g. cachewarp-fix=0, "
                  "ciphertext-hiding=1)");
  add_unsigned(cmd, "--seed", args->seed, "Seed for the simulated keys (default 1)", 0, kU64Max);
  cmd->add_flag("--json", args->json, "JSON output");
  add_trace_option(cmd, args->trace, [args, &ctx] { run_attack(*args, ctx); });
}

}  // namespace cbit::cli
