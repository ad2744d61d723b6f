#include "demo/scenarios.h"

#include <fmt/format.h>

#include "common/error.h"
#include "demo/cpu_overrides.h"

namespace cbit::demo {

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> n = {"off", "tsme", "sme-full", "sme-partial"};
  return n;
}

void check_scenario(const std::string& name, const DemoOptions& opt) {
  const auto& names = scenario_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw InputError("--scenario: unknown scenario '" + name +
                     "' (off, tsme, sme-full, sme-partial)");
  const hw::CpuModel m = resolve_cpu_model(opt.cpu, opt.overrides);
  // TSME and SME are the memory controller's encryption, which a part without SME lacks.
  if (name != "off" && !m.fn8000_001f.has(hw::SevFeature::Sme))
    throw InputError(fmt::format(
        "--scenario {} needs SME (CPUID Fn8000_001F EAX[0]), which --cpu {}{} does not have", name,
        opt.cpu, opt.overrides.empty() ? "" : " with --set"));
}

World build_scenario(const std::string& name, const DemoOptions& opt) {
  check_scenario(name, opt);
  World w;
  auto cfg = machine_config(opt, 64ull << 20);
  cfg.firmware.tsme = name == "tsme";
  w.machine = std::make_unique<hw::Machine>(cfg);
  const bool sme = name == "sme-full" || name == "sme-partial";
  w.kernel = std::make_unique<sw::host::HostKernel>(
      *w.machine,
      sw::host::KernelConfig{sme ? "mem_encrypt=on" : "mem_encrypt=off", false, 1ull << 20});
  auto& k = *w.kernel;
  k.boot();
  // The workload: 256 pages of application data, every fourth page shared with a device
  // (decrypted under SME partial), plus some zeroed pages.
  for (int i = 0; i < 256; ++i) {
    const VirtAddr p = *k.alloc_pages(0);
    if (name == "sme-partial" && i % 4 == 3) k.set_memory_decrypted(p, 1);
    std::string text;
    while (text.size() < kPageSize) text += fmt::format("record {} of the workload; ", i);
    if (i % 16 != 15)
      k.memcpy_to(p, as_bytes(std::string_view(text).substr(0, kPageSize)));
    else
      k.memcpy_to(p, Bytes(kPageSize, 0));
  }
  w.machine->cache().wbinvd();
  w.description = fmt::format("{} on {}", name, w.machine->cpu_model().name);
  return w;
}

}  // namespace cbit::demo
