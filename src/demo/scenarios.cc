#include "demo/scenarios.h"

#include <fmt/format.h>

#include "attacks/fn_guest.h"
#include "common/error.h"
#include "demo/cpu_overrides.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"

namespace cbit::demo {

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> n = {"off", "tsme", "sme-full", "sme-partial", "snp"};
  return n;
}

void check_scenario(const std::string& name, const DemoOptions& opt) {
  const auto& names = scenario_names();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw InputError("--scenario: unknown scenario '" + name +
                     "' (off, tsme, sme-full, sme-partial, snp)");
  const hw::CpuModel m = resolve_cpu_model(opt.cpu, opt.overrides);
  if (name == "snp" && !m.fn8000_001f.has(hw::SevFeature::SevSnp))
    throw InputError(fmt::format(
        "--scenario snp needs SEV-SNP (CPUID Fn8000_001F EAX[4]), which --cpu {}{} does not have",
        opt.cpu, opt.overrides.empty() ? "" : " with --set"));
  // TSME and SME are the memory controller's encryption, which a part without SME lacks.
  if (name != "off" && !m.fn8000_001f.has(hw::SevFeature::Sme))
    throw InputError(fmt::format(
        "--scenario {} needs SME (CPUID Fn8000_001F EAX[0]), which --cpu {}{} does not have", name,
        opt.cpu, opt.overrides.empty() ? "" : " with --set"));
}

namespace {
// Two SEV-SNP guests (ASIDs 1 and 2) on an SNP host, each having accepted and written some of
// its memory, as `cbit map --scenario snp` colours them by RMP state.
World build_snp(const DemoOptions& opt) {
  World w;
  auto cfg = machine_config(opt, 64ull << 20);
  cfg.firmware.snp = true;
  w.machine = std::make_unique<hw::Machine>(cfg);
  w.kernel = std::make_unique<sw::host::HostKernel>(
      *w.machine, sw::host::KernelConfig{"mem_encrypt=on", false, 1ull << 20});
  w.kernel->boot();
  auto dev = std::make_shared<sw::host::SevDev>(*w.kernel, *w.machine);
  auto kvm = std::make_shared<sw::hv::KvmSev>(*dev);
  w.owned.push_back(dev);
  w.owned.push_back(kvm);
  for (int g = 0; g < 2; ++g) {
    sw::hv::VmConfig vc;
    vc.mode = sw::hv::SevMode::Snp;
    vc.ram_bytes = 4ull << 20;
    auto vm = std::make_shared<sw::hv::Vm>(*w.machine, *w.kernel, kvm.get(), vc);
    const auto r = vm->launch(nullptr);
    if (r.rc != 0)
      throw std::runtime_error(
          fmt::format("--scenario snp: SNP launch failed at {} (rc {})", r.step, r.rc));
    const int pages = 16 * (g + 1);
    attacks::FnGuest guest([pages](attacks::GuestCpu& cpu) {
      std::vector<uint64_t> gpas;
      for (int i = 0; i < pages; ++i) gpas.push_back(0x200000 + uint64_t(i) * kPageSize);
      attacks::guest_accept_memory(cpu, gpas);
      for (uint64_t gpa : gpas) cpu.write<uint64_t>(VirtAddr(gpa), gpa);
    });
    vm->run(guest);
    w.owned.push_back(vm);
  }
  w.machine->cache().wbinvd();
  w.description = fmt::format("snp on {}: two SEV-SNP guests", w.machine->cpu_model().name);
  return w;
}
}  // namespace

World build_scenario(const std::string& name, const DemoOptions& opt) {
  check_scenario(name, opt);
  if (name == "snp") return build_snp(opt);
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
