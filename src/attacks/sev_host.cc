#include "attacks/sev_host.h"

#include <stdexcept>

namespace cbit::attacks {

hw::MachineConfig SevHost::config(const SevHostOptions& opt) {
  hw::MachineConfig c;
  c.cpu = hw::cpu_model_by_name(opt.cpu);
  c.dram_bytes = 128ull << 20;
  c.seed = opt.seed;
  c.firmware.sme = true;
  return c;
}

SevHost::SevHost(const SevHostOptions& opt)
    : m(config(opt)),
      k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 0}),
      dev((k.boot(), k), m),
      kvm(dev) {
  dma_ = &m.add_dma_device("attacker-nic", 64);
}

std::unique_ptr<sw::hv::Vm> SevHost::make_vm(sw::hv::SevMode mode, uint64_t ram) {
  using sw::hv::SevMode;
  if (mode == SevMode::Sev && !kvm.sev_enabled())
    throw std::runtime_error("SEV not supported by this CPU/firmware");
  if (mode == SevMode::SevEs && !kvm.sev_es_enabled())
    throw std::runtime_error("SEV-ES not supported by this CPU/firmware");
  sw::hv::VmConfig cfg;
  cfg.mode = mode;
  cfg.ram_bytes = ram;
  cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;  // SEV-API policy bit 2: ES required
  auto vm = std::make_unique<sw::hv::Vm>(m, k, mode == SevMode::None ? nullptr : &kvm, cfg);
  const auto r = vm->launch(nullptr);
  if (r.rc != 0)
    throw std::runtime_error("VM launch failed at " + r.step + " (rc " + std::to_string(r.rc) +
                             ", firmware status " + std::to_string(r.fw_error) + ")");
  return vm;
}

Bytes SevHost::raw(SysPhysAddr spa, size_t n) {
  Bytes b(n);
  dma_->dma_read(bus(spa, false), b);
  return b;
}

void SevHost::raw_write(SysPhysAddr spa, ByteSpan bytes) {
  dma_->dma_write(bus(spa, false), bytes);
}

}  // namespace cbit::attacks
