// cbit map: a PNG of a simulated machine's physical memory as an attacker sees it.
#include <fmt/format.h>

#include <iostream>

#include "attacks/cold_boot.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/output_file.h"
#include "demo/cpu_overrides.h"
#include "demo/scenarios.h"
#include "tools/map/classify.h"
#include "tools/map/page_map_export.h"
#include "tools/map/render_png.h"

namespace cbit::cli {

namespace {
struct MapArgs {
  demo::DemoOptions opt;
  std::string scenario = "sme-partial";
  std::string out = "cbit-map.png";
  uint64_t seed = 0;
  bool seed_given = false;
  unsigned per_row = 128;
  std::string image_out, page_map_out;
};
}  // namespace

void add_map_command(CLI::App& app, Context&) {
  auto a = std::make_shared<MapArgs>();
  auto* cmd = app.add_subcommand(
      "map",
      "Write a PNG of a simulated machine's physical memory, one cell per page, coloured by "
      "what an attacker sees (plaintext, ciphertext per key, zero)");
  cmd->add_option("--scenario", a->scenario, "off, tsme, sme-full, sme-partial, snp")
      ->capture_default_str();
  auto* cpu_opt = cmd->add_option("--cpu", a->opt.cpu,
                                  "CPU model (--scenario snp without it: milan, the first part "
                                  "with SEV-SNP)")
                      ->capture_default_str();
  cmd->add_option("--set", a->opt.overrides, "Override a CPU-model field");
  add_unsigned(cmd, "--seed", a->seed, "Seed for reproducible keys", 0, kU64Max)
      ->each([a](const std::string&) { a->seed_given = true; });
  cmd->add_option("-O,--out", a->out, "PNG file to write")->capture_default_str();
  add_unsigned(cmd, "--pages-per-row", a->per_row, "Cells per row", 16, 1024);
  cmd->add_option("--image-out", a->image_out,
                  "Also write the attacker's cold-boot DRAM image (raw, sparse) for `cbit scan`");
  cmd->add_option("--page-map-out", a->page_map_out,
                  "Also write the page map (private/shared) for `cbit scan --page-map`");
  cmd->callback([a, cpu_opt] {
    refuse_same_file({{"-O", a->out, true},
                      {"--image-out", a->image_out, true},
                      {"--page-map-out", a->page_map_out, true}});
    if (a->seed_given) a->opt.seed = a->seed;
    // The default part (naples) has no SEV-SNP: without --cpu the snp scenario runs on milan, as
    // `cbit demo` does for its SNP guests, and says so. A --cpu without SNP is still refused.
    std::string note;
    if (a->scenario == "snp" && cpu_opt->count() == 0 &&
        !demo::resolve_cpu_model(a->opt.cpu, a->opt.overrides)
             .fn8000_001f.has(hw::SevFeature::SevSnp)) {
      note = fmt::format(
          "  (no --cpu: the default {} has no SEV-SNP (CPUID Fn8000_001F EAX[4]=0); the snp "
          "scenario runs on milan)\n",
          a->opt.cpu);
      a->opt.cpu = "milan";
    }
    const auto w = demo::build_scenario(a->scenario, a->opt);
    const std::string title = "cbit map: " + w.description;
    const auto in = a->scenario == "snp" ? tools::map::classify_machine_rmp(*w.machine, title)
                                         : tools::map::classify_machine(*w.machine, title);
    tools::map::render_png(in, a->out, {a->per_row, 4});
    if (!a->image_out.empty()) attacks::write_cold_boot_image(w.machine->raw_view(), a->image_out);
    if (!a->page_map_out.empty()) tools::map::write_page_map(in, a->page_map_out);
    size_t counts[9] = {};
    for (const auto& c : in.cells) ++counts[static_cast<int>(c.kind)];
    // With an output on stdout (-O -), the summary goes to stderr.
    const bool on_stdout = output_fd_alias(a->out) == 1 || output_fd_alias(a->image_out) == 1 ||
                           output_fd_alias(a->page_map_out) == 1;
    std::ostream& summary = on_stdout ? std::cerr : std::cout;
    summary << fmt::format(
        "{}: {} pages: {} untouched, {} zero, {} plaintext, {} ciphertext, {} mixed\n", a->out,
        in.cells.size(), counts[0], counts[1], counts[2], counts[3], counts[4]);
    summary << note;
    if (a->scenario == "snp")
      summary << fmt::format("  RMP: {} firmware, {} VMSA, {} guest-valid, {} guest-invalid\n",
                             counts[5], counts[6], counts[7], counts[8]);
  });
}

}  // namespace cbit::cli
