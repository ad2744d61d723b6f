#include "demo/demo.h"

#include <algorithm>

#include "common/error.h"

namespace cbit::demo {

bool Section::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

hw::MachineConfig machine_config(const DemoOptions& opt, uint64_t dram_bytes) {
  hw::MachineConfig cfg;
  cfg.cpu = hw::cpu_model_by_name(opt.cpu);
  for (const auto& o : opt.overrides) hw::apply_cpu_override(cfg.cpu, o);
  cfg.dram_bytes = dram_bytes;
  cfg.seed = opt.seed;
  return cfg;
}

const std::vector<std::string>& section_names() {
  static const std::vector<std::string> names = {"sme-full",  "sme-partial", "smetest",    "dma",
                                                 "sev-guest", "sev-shared",  "sev-attacks"};
  return names;
}

Section run_section(const std::string& name, const DemoOptions& opt) {
  if (name == "sme-full") return run_sme_full(opt);
  if (name == "sme-partial") return run_sme_partial(opt);
  if (name == "smetest") return run_smetest(opt);
  if (name == "dma") return run_dma(opt);
  if (name == "sev-guest") return run_sev_guest(opt);
  if (name == "sev-shared") return run_sev_shared(opt);
  if (name == "sev-attacks") return run_sev_attacks(opt);
  throw InputError("demo: unknown section '" + name + "'");
}

}  // namespace cbit::demo
