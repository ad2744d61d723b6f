// The platform and its host: `machine` (the CPU preset with --set overrides, DRAM, an NVDIMM,
// the BIOS's SME / TSME / SNP settings; hw/machine.h) and `host-boot` (the host kernel with its
// command line, sw/host/kernel.h). The CPU model is checked as `cbit demo --set` checks it
// (demo/cpu_overrides.h): the step's `set` list first, then the command line's --set.
#include <fmt/format.h>

#include "common/error.h"
#include "demo/cpu_overrides.h"
#include "demo/demo.h"
#include "scenario/objects.h"

namespace cbit::scenario {

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kMinDram = 32 * kMiB;       // the host kernel's image sits at 16 MiB
constexpr uint64_t kMaxDram = 64ull << 30;     // within every preset's 36+ usable address bits
constexpr uint64_t kMaxNvdimm = 1ull << 30;    // an NVDIMM image (common/file.h's bound)
constexpr uint64_t kMaxAddress = 64ull << 30;  // the NVDIMM ends below 2^36

std::vector<std::string> cpu_names() {
  std::vector<std::string> n;
  for (const auto& m : hw::cpu_model_presets()) n.push_back(m.name);
  return n;
}

void check_machine(const Args& a) {
  for (const auto& s : a.strings("set")) {
    try {
      demo::check_set_assignment(s);
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", a.where("set"), e.what()));
    }
  }
  const uint64_t dram = a.size("dram", 256 * kMiB);
  if (dram < kMinDram || dram > kMaxDram || dram % (2 * kMiB))
    throw InputError(fmt::format("{}: {} bytes; DRAM is a multiple of 2 MiB from 32M to 64G",
                                 a.where("dram"), dram));
  if (a.flag("badram_dimm") && (dram & (dram - 1)))
    throw InputError(a.where("badram_dimm") + ": a BadRAM DIMM needs a power-of-two `dram`");
  const uint64_t nv = a.size("nvdimm"), base = a.size("nvdimm_base", 4ull << 30);
  if (nv) {
    if (nv % 4096 || nv > kMaxNvdimm)
      throw InputError(fmt::format("{}: {} bytes; an NVDIMM is whole 4K pages, at most 1G",
                                   a.where("nvdimm"), nv));
    const uint64_t dram_end = a.flag("badram_dimm") ? 2 * dram : dram;
    if (base % (2 * kMiB) || base < dram_end || base > kMaxAddress - nv)
      throw InputError(fmt::format(
          "{}: {:#x}; the NVDIMM starts on a 2 MiB boundary above the DRAM ({:#x}) and ends "
          "below {:#x}",
          a.where("nvdimm_base"), base, dram_end, kMaxAddress));
  }
  const uint64_t cores = a.u64("cores", 2);
  if (cores < 1 || cores > 64)
    throw InputError(fmt::format("{}: {}; choose 1 to 64", a.where("cores"), cores));
}

nlohmann::json make_machine(const Args& a, Run& run) {
  const std::string cpu = a.str("cpu", run.options().cpu.empty() ? "naples" : run.options().cpu);
  std::vector<std::string> sets = a.strings("set");
  for (const auto& s : run.options().overrides) sets.push_back(s);
  hw::MachineConfig cfg;
  try {
    cfg.cpu = demo::resolve_cpu_model(cpu, sets);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", a.where(a.has("set") ? "set" : "cpu"), e.what()));
  }
  cfg.dram_bytes = a.size("dram", 256 * kMiB);
  cfg.seed = run.options().seed;
  cfg.cores = static_cast<unsigned>(a.u64("cores", 2));
  cfg.firmware.sme = a.flag("sme", true);
  cfg.firmware.tsme = a.flag("tsme");
  cfg.firmware.snp = a.flag("snp");
  cfg.firmware.snp_alias_check = a.flag("snp_alias_check");
  cfg.badram_dimm = a.flag("badram_dimm");
  auto obj = std::make_shared<SimMachine>();
  if (const uint64_t nv = a.size("nvdimm")) {
    if (run.options().workdir.empty())
      throw InputError(a.where("nvdimm") + ": the run has no working directory for the module");
    const std::string tag = run.case_id().empty() ? "" : run.case_id() + "-";
    obj->nvdimm_path = demo::make_new_file(run.options().workdir, "nvdimm-" + tag + "XXXXXX.img");
    cfg.nvdimm =
        hw::NvdimmConfig{obj->nvdimm_path, SysPhysAddr(a.size("nvdimm_base", 4ull << 30)), nv};
  }
  obj->machine = std::make_unique<hw::Machine>(cfg);
  const auto& m = *obj->machine;
  run.keep(obj);
  std::string bios;
  if (cfg.firmware.sme) bios += " SMEE";
  if (cfg.firmware.tsme) bios += " TSME";
  if (cfg.firmware.snp) bios += " SNP";
  run.say(fmt::format("{}machine {} ({}), {} MiB DRAM{}, C-bit {}, BIOS:{}", line_tag(run),
                      m.cpu_model().name, m.cpu_model().marketing, cfg.dram_bytes >> 20,
                      cfg.nvdimm ? fmt::format(", {} MiB NVDIMM", cfg.nvdimm->size >> 20) : "",
                      m.cpu_model().fn8000_001f.cbit_position(), bios.empty() ? " -" : bios));
  return {{"cpu", m.cpu_model().name}, {"cbit", m.cpu_model().fn8000_001f.cbit_position()},
          {"dram", cfg.dram_bytes},    {"nvdimm", cfg.nvdimm ? cfg.nvdimm->size : 0},
          {"sme", cfg.firmware.sme},   {"tsme", cfg.firmware.tsme},
          {"snp", cfg.firmware.snp}};
}

void check_host(const Args& a) {
  const uint64_t sw = a.size("swiotlb", 4 * kMiB);
  if (sw % (2 * 1024) || sw > 1ull << 30)
    throw InputError(fmt::format("{}: {} bytes; swiotlb is whole 2K slots, at most 1G (0: none)",
                                 a.where("swiotlb"), sw));
  const std::string cmd = a.str("cmdline", "mem_encrypt=on");
  if (cmd.size() > 2048 || cmd.find('\n') != std::string::npos)
    throw InputError(a.where("cmdline") + ": one line of at most 2048 bytes");
}

nlohmann::json boot_host(const Args& a, Run& run) {
  SimMachine& m = machine_arg(a, run);
  auto h = std::make_shared<SimHost>();
  h->machine = &m;
  h->kernel = std::make_unique<sw::host::HostKernel>(
      *m.machine, sw::host::KernelConfig{a.str("cmdline", "mem_encrypt=on"),
                                         a.flag("active_by_default"), a.size("swiotlb", 4 * kMiB)});
  h->kernel->boot();
  auto& k = *h->kernel;
  run.keep(h);
  const bool sme = k.cc_platform_has(sw::CcAttr::HostMemEncrypt);
  run.say(fmt::format("{}host kernel booted with \"{}\": SME {}", line_tag(run),
                      a.str("cmdline", "mem_encrypt=on"), sme ? "active" : "off"));
  return {{"sme_active", sme},
          {"snp_host", k.cc_platform_has(sw::CcAttr::HostSevSnp)},
          {"dmesg", k.dmesg()}};
}

}  // namespace

SimMachine& machine_arg(const Args& args, Run& run, std::string_view key) {
  if (args.has(key)) return run.get<SimMachine>(args, key, "a machine");
  if (auto* m = run.latest<SimMachine>()) return *m;
  throw InputError(args.where(key) + ": no machine yet: add a step with do = \"machine\" first");
}

SimHost& host_arg(const Args& args, Run& run, std::string_view key) {
  if (args.has(key)) return run.get<SimHost>(args, key, "a host");
  if (auto* h = run.latest<SimHost>()) return *h;
  throw InputError(args.where(key) + ": no host yet: add a step with do = \"host-boot\" first");
}

nlohmann::json found_json(const attacks::AttackReport& r, const std::vector<std::string>& needles) {
  nlohmann::json hits = nlohmann::json::object();
  for (const auto& n : needles) hits[n] = r.count(n);
  return {{"found", r.hits.size()}, {"hits", hits}, {"bytes_seen", r.bytes_seen}};
}

void add_machine_actions(std::vector<Action>& out) {
  out.push_back(
      {"machine",
       "build a simulated machine: CPU preset, CPU-model overrides, DRAM, NVDIMM, BIOS settings",
       {{"cpu", KeyType::String, false, "--cpu, else [scenario] cpu, else naples", "the CPU preset",
         cpu_names()},
        {"set",
         KeyType::StringList,
         false,
         "[]",
         "CPU-model overrides as `cbit demo --set` takes them (\"cbit=51\"); --set applies after",
         {}},
        {"dram", KeyType::Size, false, "256M", "DRAM size: a multiple of 2M from 32M to 64G", {}},
        {"nvdimm",
         KeyType::Size,
         false,
         "0 (none)",
         "an NVDIMM of this size (whole 4K pages, at most 1G), backed by a file in the workdir",
         {}},
        {"nvdimm_base",
         KeyType::Size,
         false,
         "4G",
         "the NVDIMM's system physical address (2M-aligned, above DRAM)",
         {}},
        {"sme", KeyType::Bool, false, "true", "BIOS: SMEE, so the OS may use SME", {}},
        {"tsme",
         KeyType::Bool,
         false,
         "false",
         "BIOS: Transparent SME, every access encrypted with the host key",
         {}},
        {"snp", KeyType::Bool, false, "false", "BIOS: SEV-SNP support (reserves the RMP)", {}},
        {"snp_alias_check",
         KeyType::Bool,
         false,
         "false",
         "SEV firmware with AMD's BadRAM fix (SNP_INIT refuses aliased DRAM)",
         {}},
        {"badram_dimm",
         KeyType::Bool,
         false,
         "false",
         "a BadRAM DIMM whose SPD claims one row bit too many (DRAM aliases above itself)",
         {}},
        {"cores", KeyType::Integer, false, "2", "physical cores, 1 to 64", {}}},
       make_machine,
       check_machine});
  out.push_back(
      {"host-boot",
       "boot the host kernel on a machine (Linux's mem_encrypt, swiotlb)",
       {{"machine", KeyType::String, false, "the latest machine", "the id of a `machine` step", {}},
        {"cmdline",
         KeyType::String,
         false,
         "mem_encrypt=on",
         "the kernel command line (mem_encrypt=on / off)",
         {}},
        {"active_by_default",
         KeyType::Bool,
         false,
         "false",
         "CONFIG_AMD_MEM_ENCRYPT_ACTIVE_BY_DEFAULT",
         {}},
        {"swiotlb", KeyType::Size, false, "4M", "the swiotlb bounce-buffer pool (0: none)", {}}},
       boot_host,
       check_host});
}

}  // namespace cbit::scenario
