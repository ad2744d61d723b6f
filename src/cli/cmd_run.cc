// cbit run FILE.toml: a scenario file (docs/scenarios.md) parsed and checked before anything
// runs, then run on simulated machines; the transcript with each expectation as a check line.
// Exit codes (scenario/engine.h, the same as `cbit demo`): 0 every check holds, 3 a check
// failed, 1 a scenario error (one line naming FILE:LINE:COL and the key) or bad flags.
#include <fmt/format.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/workdir.h"
#include "demo/cpu_overrides.h"
#include "hw/cpu_models.h"
#include "scenario/action.h"
#include "scenario/engine.h"
#include "scenario/parse.h"

namespace cbit::cli {

namespace {

struct RunArgs {
  std::string file;
  std::string output = "text";
  std::string cpu;
  std::vector<std::string> overrides;
  std::string workdir, trace;
  uint64_t seed = 0;
  bool seed_given = false;
  bool list_actions = false;
};

std::string type_name(scenario::KeyType t) {
  switch (t) {
    case scenario::KeyType::String:
      return "string";
    case scenario::KeyType::Integer:
      return "integer";
    case scenario::KeyType::Bool:
      return "bool";
    case scenario::KeyType::Size:
      return "size";
    case scenario::KeyType::StringList:
      return "list of strings";
    case scenario::KeyType::Table:
      return "table";
  }
  return "?";
}

void list_actions(bool json) {
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& a : scenario::all_actions()) {
      nlohmann::json keys = nlohmann::json::array();
      for (const auto& k : a.keys)
        keys.push_back({{"name", k.name},
                        {"type", type_name(k.type)},
                        {"required", k.required},
                        {"default", k.default_text},
                        {"choices", k.choices},
                        {"doc", k.doc}});
      out.push_back({{"name", a.name}, {"summary", a.summary}, {"keys", keys}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& a : scenario::all_actions()) {
    std::cout << fmt::format("{:<18} {}\n", a.name, a.summary);
    for (const auto& k : a.keys)
      std::cout << fmt::format(
          "    {:<18} {:<16} {}{}\n", k.name, type_name(k.type),
          k.required ? "required" : "default " + k.default_text,
          k.choices.empty() ? "" : " (" + fmt::format("{}", fmt::join(k.choices, ", ")) + ")");
  }
}

void run_file(RunArgs& a, Context& ctx) {
  if (a.list_actions) return list_actions(a.output == "json");
  if (a.file.empty()) throw InputError("run: name a scenario file (or --list-actions)");
  const scenario::Scenario sc = scenario::load_scenario(a.file);
  scenario::RunOptions opt;
  // --cpu, else the file's cpu; with neither, each action's default (docs/scenarios.md).
  opt.cpu = a.cpu.empty() ? sc.cpu : a.cpu;
  opt.overrides = a.overrides;
  if (a.seed_given) opt.seed = a.seed;
  // --cpu and --set checked before anything runs (--set against naples without a CPU).
  const auto model = demo::resolve_cpu_model(opt.cpu.empty() ? "naples" : opt.cpu, opt.overrides);
  const DemoWorkdir workdir(a.workdir, "run");
  opt.workdir = workdir.path();
  const bool json = a.output == "json";
  const auto print = [&](const scenario::RunResult& r, const std::string& error) {
    if (json) {
      nlohmann::json j = r.to_json();
      j["cpu"] = opt.cpu.empty() ? nlohmann::json(nullptr) : nlohmann::json(model.name);
      j["seed"] = opt.seed ? nlohmann::json(*opt.seed) : nlohmann::json(nullptr);
      if (!error.empty()) {
        j["error"] = error;
        j["ok"] = false;
      }
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format(
        "cbit run {} on {}{}\n", a.file,
        opt.cpu.empty() ? std::string("each step's default CPU (no --cpu, no [scenario] cpu)")
                        : fmt::format("a simulated {} ({})", model.name, model.marketing),
        opt.seed ? fmt::format(", seed {}", *opt.seed) : "");
    std::cout << "\n== " << r.title << " ==\n";
    for (const auto& l : r.transcript) std::cout << l << "\n";
    if (!error.empty()) {
      std::cout << fmt::format("\nThe run stopped at an error after {} step(s) (on stderr).\n",
                               r.steps.size());
      return;
    }
    size_t failed = 0;
    for (const auto& c : r.checks) failed += !c.ok;
    if (failed)
      std::cout << fmt::format("\n{} of {} checks FAILED.\n", failed, r.checks.size());
    else
      std::cout << fmt::format("\nAll {} checks hold.\n", r.checks.size());
  };
  scenario::RunResult r;
  try {
    r = scenario::run_scenario(sc, opt);
  } catch (const scenario::StepError& e) {
    // What ran before the error, then the error itself (main prints it on stderr, exit 1).
    print(e.partial(), e.what());
    std::cout.flush();
    throw;
  }
  print(r, "");
  ctx.exit_code = r.ok() ? scenario::kExitOk : scenario::kExitCheckFailed;
}

}  // namespace

void add_run_command(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand(
      "run",
      "Run a scenario file (docs/scenarios.md): machines, hosts, guests, attacks and "
      "the checks of what they saw; exit 3 when a check fails");
  cmd->add_option("file", args->file, "The scenario file (.toml)");
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  add_unsigned(cmd, "--seed", args->seed, "Seed every key and nonce for a reproducible run", 0,
               kU64Max)
      ->each([args](const std::string&) { args->seed_given = true; });
  cmd->add_option("--cpu", args->cpu,
                  "CPU model for machines whose step names none (default: the file's, else "
                  "naples)");
  cmd->add_option("--set", args->overrides,
                  "Override a CPU-model field for every machine, e.g. --set cbit=51");
  add_workdir_option(cmd, args->workdir, "run");
  cmd->add_flag("--list-actions", args->list_actions,
                "List every action and its keys (docs/scenarios.md has the details)");
  add_trace_option(cmd, args->trace, [args, &ctx] { run_file(*args, ctx); });
}

}  // namespace cbit::cli
