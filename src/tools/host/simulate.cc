#include "tools/host/simulate.h"

#include <fmt/format.h>

#include "hw/cpu/msr.h"
#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "tools/host/probe.h"

namespace cbit::tools::host {

namespace {

constexpr uint64_t kDram = 128ull << 20;
constexpr uint64_t kMiB = 1ull << 20;
constexpr const char* kCmdline = "mem_encrypt=on";

MsrReading read_msr(hw::Cpu& cpu, uint32_t index) {
  MsrReading r;
  try {
    r.value = cpu.rdmsr(index);
  } catch (const std::exception&) {
    // What /dev/cpu/0/msr answers for an MSR the CPU does not have (#GP on RDMSR).
    r.unreadable = fmt::format("/dev/cpu/0/msr at 0x{:x}: Input/output error", index);
  }
  return r;
}

}  // namespace

HostSnapshot simulate_host(const hw::CpuModel& model) {
  const auto& f = model.fn8000_001f;
  const bool sme = f.has(hw::SevFeature::Sme);
  hw::MachineConfig cfg;
  cfg.cpu = model;
  cfg.dram_bytes = kDram;
  cfg.seed = 1;
  cfg.firmware.sme = sme;  // BIOS SMEE
  // BIOS "SEV-SNP": the RMP reserved at the top of DRAM; the host kernel sets SNP up itself
  // (snp_rmptable_init) and prints Linux's lines.
  cfg.firmware.snp = sme && f.has(hw::SevFeature::SevSnp);
  hw::Machine m(cfg);
  sw::host::HostKernel k(m, sw::host::KernelConfig{kCmdline, false, 0});
  k.boot();

  std::vector<std::string> log;
  for (const auto& l : k.dmesg())
    if (is_memory_encryption_log_line(l)) log.push_back(l);

  const bool snp = k.cc_platform_has(sw::CcAttr::HostSevSnp);

  HostSnapshot s;
  s.description = fmt::format(
      "simulated by cbit host --simulate {}: {}, CPUID as {}; BIOS SMEE {}, SEV-ES ASID Space "
      "Limit {}{}",
      model.name, model.marketing, model.source, sme ? "on" : "off", f.min_sev_asid(),
      snp ? ", SEV-SNP on (RMP reserved)" : "");
  bool sev = false, es = false, up = false;
  s.devices = {{"/dev/kvm", NodeAccess::ReadWrite}, {"/dev/sev-guest", NodeAccess::Absent}};
  if (sme && f.has(hw::SevFeature::Sev)) {
    sw::host::SevDev dev(k, m);
    int error = 0;
    const size_t seen = k.dmesg().size();
    up = dev.sev_platform_init(&error) == 0;
    // The ccp driver's SNP lines (SNP_INIT_EX runs first), from the kernel's log.
    for (size_t i = seen; i < k.dmesg().size(); ++i)
      if (is_memory_encryption_log_line(k.dmesg()[i])) log.push_back(k.dmesg()[i]);
    if (up)
      log.push_back(fmt::format("ccp 0000:00:18.1: SEV API:{}.{} build:{}", dev.api_major(),
                                dev.api_minor(), dev.build()));
    sw::hv::KvmSev kvm(dev);
    sev = up && kvm.sev_enabled();
    es = up && kvm.sev_es_enabled();
    // sev_hardware_setup's report (Linux 6.9+).
    log.push_back(fmt::format("kvm_amd: SEV {} (ASIDs {} - {})", sev ? "enabled" : "disabled",
                              kvm.min_sev_asid(), kvm.max_sev_asid()));
    if (f.has(hw::SevFeature::SevEs))
      log.push_back(fmt::format("kvm_amd: SEV-ES {} (ASIDs {} - {})", es ? "enabled" : "disabled",
                                kvm.min_sev_asid() > 1 ? 1 : 0, kvm.min_sev_asid() - 1));
    if (snp)
      log.push_back(fmt::format("kvm_amd: SEV-SNP {} (ASIDs {} - {})", es ? "enabled" : "disabled",
                                kvm.min_sev_asid() > 1 ? 1 : 0, kvm.min_sev_asid() - 1));
  }
  // /sys/module/kvm_amd/parameters (Y/N as Linux shows a bool parameter).
  const std::string y = "Y", n = "N";
  s.kvm_amd = std::map<std::string, std::string>{
      {"sev", sev ? y : n}, {"sev_es", es ? y : n}, {"sev_snp", snp && es ? y : n}};
  s.devices["/dev/sev"] = up ? NodeAccess::ReadWrite : NodeAccess::Absent;

  auto& cpu = m.cpu(0);
  for (uint32_t leaf : probed_cpuid_leaves()) {
    const auto r = cpu.cpuid(leaf);
    s.cpuid[leaf] = {r.eax, r.ebx, r.ecx, r.edx};
  }
  s.syscfg = read_msr(cpu, hw::msr::kSyscfg);
  s.sev_status = read_msr(cpu, hw::msr::kSevStatus);
  s.kernel_log = std::move(log);
  s.kernel_log_unreadable.clear();
  // /proc/cpuinfo: Linux keeps these flags only when SYSCFG[23] is set, and sev_snp only when
  // the RMP is set up (arch/x86/kernel/cpu/amd.c, virt/svm/sev.c).
  s.cpu_flags.emplace();
  const bool on = s.syscfg.value && (*s.syscfg.value & hw::syscfg::kMemEncryptionModEn);
  if (on && sme) s.cpu_flags->push_back("sme");
  if (on && f.has(hw::SevFeature::Sev)) s.cpu_flags->push_back("sev");
  if (on && f.has(hw::SevFeature::SevEs)) s.cpu_flags->push_back("sev_es");
  if (on && snp) s.cpu_flags->push_back("sev_snp");
  s.cmdline = kCmdline;
  return s;
}

}  // namespace cbit::tools::host
