// cbit demo: the seeds' use models on a simulated machine, each beside its control case.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/workdir.h"
#include "common/cleanup.h"
#include "common/error.h"
#include "demo/demo.h"
#include "scenario/engine.h"

namespace cbit::cli {

namespace {

struct DemoArgs {
  demo::DemoOptions opt;
  std::string output = "text", trace;
  std::vector<std::string> sections;
  std::vector<std::string> positional;
  uint64_t seed = 0;
  bool seed_given = false;
  bool list = false;
};

void list_sections() {
  for (const auto& n : demo::section_names()) {
    const std::string f = demo::section_file(n);
    std::cout << fmt::format("{:<12} {}\n", n,
                             f.empty() ? "(C++: src/demo/, not yet a scenario file)" : f);
  }
}

void run_demo(DemoArgs& a, Context& ctx) {
  if (a.list) return list_sections();
  if (a.seed_given) a.opt.seed = a.seed;
  const auto& model = hw::cpu_model_by_name(a.opt.cpu);  // validates --cpu early
  std::vector<std::string> names;  // each section once, in the order first named
  std::vector<std::string> wanted = a.sections;
  wanted.insert(wanted.end(), a.positional.begin(), a.positional.end());
  for (const auto& n : wanted.empty() ? demo::section_names() : wanted)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  demo::check_sections(names, a.opt);  // --set, --section and what each section needs
  const DemoWorkdir workdir(a.opt.workdir);
  demo::DemoOptions opt = a.opt;
  opt.workdir = workdir.path();
  const bool json = a.output == "json";
  nlohmann::json out{{"cpu", model.name},
                     {"seed", a.opt.seed ? nlohmann::json(*a.opt.seed) : nlohmann::json(nullptr)},
                     {"sections", nlohmann::json::array()}};
  if (!json) {
    std::cout << fmt::format("cbit demo on a simulated {} ({}){}\n", model.name, model.marketing,
                             a.opt.seed ? fmt::format(", seed {}", *a.opt.seed) : "");
  }
  bool all_ok = true;
  for (const auto& n : names) {
    const demo::Section s = demo::run_section(n, opt);
    all_ok = all_ok && s.ok();
    if (json) {
      nlohmann::json checks = nlohmann::json::array();
      for (const auto& c : s.checks) {
        checks.push_back({{"check", c.what}, {"ok", c.ok}});
        if (!c.ok && !c.saw.empty()) checks.back()["saw"] = c.saw;
      }
      out["sections"].push_back(
          {{"id", s.id},
           {"title", s.title},
           {"ok", s.ok()},
           {"checks", checks},
           {"data", s.data},
           {"file", s.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.file)},
           {"transcript", s.lines}});
    } else {
      std::cout << "\n== " << s.title << " ==\n";
      for (const auto& l : s.lines) std::cout << l << "\n";
      if (!s.checks_in_lines)
        for (const auto& c : s.checks)
          std::cout << (c.ok ? "  [ ok ] " : "  [FAIL] ") << c.what << "\n";
    }
  }
  if (json) {
    out["ok"] = all_ok;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << (all_ok ? "\nAll demonstrations behaved as the hardware does.\n"
                         : "\nSome demonstrations did NOT behave as expected.\n");
  }
  ctx.exit_code = all_ok ? scenario::kExitOk : scenario::kExitCheckFailed;
}

}  // namespace

void add_demo_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DemoArgs>();
  args->opt.cpu_overrides_files = false;  // until --cpu is given
  auto* cmd = app.add_subcommand("demo",
                                 "Run the seeds' use models (SME full/partial encryption, smetest, "
                                 "DMA, SEV and SEV-ES guests) on a "
                                 "simulated machine, each beside a control case");
  cmd->add_option("--cpu", args->opt.cpu,
                  "CPU model: naples, rome, milan, genoa, turin (a section's scenario file "
                  "names its own; this overrides it)")
      ->capture_default_str()
      ->each([args](const std::string&) { args->opt.cpu_overrides_files = true; });
  cmd->add_option("--set", args->opt.overrides,
                  "Override a CPU-model field, e.g. --set cbit=51 --set features=+sme_coherent");
  add_unsigned(cmd, "--seed", args->seed, "Seed every key and nonce for a reproducible run", 0,
               kU64Max)
      ->each([args](const std::string&) { args->seed_given = true; });
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--section", args->sections,
                  "Run only these sections (sme-full, sme-partial, smetest, dma, sev-guest, "
                  "sev-shared, sev-attacks, snp-attest)");
  cmd->add_option("sections", args->positional,
                  "Sections to run (as --section); `--list` names them and their files");
  cmd->add_flag("--list", args->list,
                "List the sections and the scenario file each runs (examples/scenarios/)");
  add_workdir_option(cmd, args->opt.workdir, "demo");
  add_trace_option(cmd, args->trace, [args, &ctx] { run_demo(*args, ctx); });
}

}  // namespace cbit::cli
