// `cbit host`: is memory encryption supported, enabled and active on this machine (or in this
// guest)? A `sevctl ok`-style checklist over a host snapshot.
//   cbit host                       probe this machine, print the checklist
//   cbit host -o json               the same as JSON
//   cbit host --raw                 the raw values (CPUID in `cpuid -r -1` format, MSRs, ...)
//   cbit host --save FILE           also write the snapshot as JSON
//   cbit host --from FILE           judge a recorded snapshot instead of this machine
//   cbit host --simulate CPU        judge a simulated host of a CPU preset (naples .. turin),
//                                   its BIOS set up for what the part has; --set changes the
//                                   preset as `cbit demo --set` does (--set min-sev-asid=1)
// Exit status: 0 when nothing FAILed, 1 otherwise (and for bad input).
#include <cstdio>

#include "cli/commands.h"
#include "common/error.h"
#include "common/file.h"
#include "demo/cpu_overrides.h"
#include "hw/cpu_models.h"
#include "tools/host/checks.h"
#include "tools/host/probe.h"
#include "tools/host/render.h"
#include "tools/host/simulate.h"
#include "tools/host/snapshot.h"

namespace cbit::cli {

void add_host_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "host", "Check SME/SEV/SEV-ES/SEV-SNP: supported, enabled by firmware, active (sevctl ok)");
  struct Opts {
    std::string output = "text";
    std::string from, save, simulate;
    std::vector<std::string> set;
    bool raw = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("-o,--output", o->output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  auto* from =
      cmd->add_option("--from", o->from, "Judge a snapshot JSON file instead of this machine");
  auto* sim = cmd->add_option("--simulate", o->simulate,
                              "Judge a simulated host of a CPU preset instead of this machine: "
                              "naples, rome, milan, genoa, turin");
  sim->excludes(from);
  cmd->add_option("--set", o->set, "With --simulate: change a preset field (field=value)")
      ->needs(sim);
  cmd->add_option("--save", o->save, "Write the snapshot (raw values) as JSON to this file");
  cmd->add_flag("--raw", o->raw, "Print the raw values instead of the checklist");
  cmd->callback([o, sim, from, &ctx] {
    refuse_same_file({{"--from", o->from, false}, {"--save", o->save, true}});
    tools::host::HostSnapshot snap;
    // Given means given: an empty value is refused, not taken for "judge this machine".
    if (sim->count() > 0) {
      hw::cpu_model_by_name(o->simulate, "--simulate");  // an unknown name: the flag named
      // Every --set field checked against the architecture's range, as for `cbit demo`.
      const hw::CpuModel model = demo::resolve_cpu_model(o->simulate, o->set);
      snap = tools::host::simulate_host(model);
    } else if (from->count() > 0) {
      const Bytes text = read_file(o->from, inputs::kSnapshot);
      snap = tools::host::snapshot_from_json(
          std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), o->from);
    } else {
      snap = tools::host::probe_host();
    }
    if (!o->save.empty()) write_file_atomic(o->save, tools::host::snapshot_to_json(snap));
    // With the snapshot on stdout (--save -), the report goes to stderr.
    std::FILE* report = output_fd_alias(o->save) == 1 ? stderr : stdout;
    if (o->raw) {
      std::fputs(tools::host::render_raw(snap).c_str(), report);
      return;
    }
    const auto checklist = tools::host::run_checks(snap);
    const std::string out = o->output == "json" ? tools::host::render_json(checklist)
                                                : tools::host::render_text(checklist);
    std::fputs(out.c_str(), report);
    if (checklist.count(tools::host::Status::Fail) > 0) ctx.exit_code = 1;
  });
}

}  // namespace cbit::cli
