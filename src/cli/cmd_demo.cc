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
#include "common/error.h"
#include "demo/demo.h"

namespace cbit::cli {

namespace {

struct DemoArgs {
  demo::DemoOptions opt;
  std::string output = "text";
  std::vector<std::string> sections;
  uint64_t seed = 0;
  bool seed_given = false;
};

void run_demo(DemoArgs& a, Context& ctx) {
  if (a.seed_given) a.opt.seed = a.seed;
  const auto& model = hw::cpu_model_by_name(a.opt.cpu);  // validates --cpu early
  std::vector<std::string> names;  // each section once, in the order first named
  for (const auto& n : a.sections.empty() ? demo::section_names() : a.sections)
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  demo::check_sections(names, a.opt);  // --set, --section and what each section needs
  const bool own_dir = a.opt.workdir.empty();
  // The working directory cbit made goes away however the run ends (a section may throw).
  struct RemoveOnExit {
    std::string path;
    ~RemoveOnExit() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } own;
  if (own_dir) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cbit-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      throw InputError("demo: cannot create a working directory in " +
                       std::filesystem::temp_directory_path().string());
    a.opt.workdir = own.path = tmpl;
  } else if (!std::filesystem::is_directory(a.opt.workdir)) {
    throw InputError("--workdir: " + a.opt.workdir + " is not a directory");
  } else {
    // The NVDIMM files go here: a directory that takes no files fails now, not mid-run.
    std::string probe = (std::filesystem::path(a.opt.workdir) / ".cbit-probe-XXXXXX").string();
    const int fd = ::mkstemp(probe.data());
    if (fd < 0)
      throw InputError("--workdir: " + a.opt.workdir +
                       ": cannot create files in it: " + std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
  }
  // The temporary directory goes however the run ends (a section's error included).
  struct RemoveOwnDir {
    std::string path;
    ~RemoveOwnDir() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } cleanup{own_dir ? a.opt.workdir : std::string()};
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
    const demo::Section s = demo::run_section(n, a.opt);
    all_ok = all_ok && s.ok();
    if (json) {
      nlohmann::json checks = nlohmann::json::array();
      for (const auto& c : s.checks) checks.push_back({{"check", c.what}, {"ok", c.ok}});
      out["sections"].push_back({{"id", s.id},
                                 {"title", s.title},
                                 {"ok", s.ok()},
                                 {"checks", checks},
                                 {"data", s.data},
                                 {"transcript", s.lines}});
    } else {
      std::cout << "\n== " << s.title << " ==\n";
      for (const auto& l : s.lines) std::cout << l << "\n";
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
  ctx.exit_code = all_ok ? 0 : 3;
}

}  // namespace

void add_demo_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand("demo",
                                 "Run the seeds' use models (SME full/partial encryption, smetest, "
                                 "DMA, SEV and SEV-ES guests) on a "
                                 "simulated machine, each beside a control case");
  cmd->add_option("--cpu", args->opt.cpu, "CPU model: naples, rome, milan, genoa, turin")
      ->capture_default_str();
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
                  "sev-shared, sev-attacks)");
  cmd->add_option("--workdir", args->opt.workdir,
                  "Directory for NVDIMM files (default: a temporary one)");
  cmd->callback([args, &ctx] { run_demo(*args, ctx); });
}

}  // namespace cbit::cli
