// The host the SEV attacks run on: a machine booted with SME (SEV needs it), its kernel, the PSP
// driver and KVM's SEV state; a VM of each mode, launched as QEMU would; and the attacker's bus
// master, a DMA-capable device whose mask reaches every address bit including the C-bit.
//
// The hypervisor is the attacker here: it owns everything on this host except the keys in the
// memory controller and the VMSA integrity values the hardware keeps.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"

namespace cbit::attacks {

struct SevHostOptions {
  std::string cpu = "milan";  // a preset of hw/cpu_models.h
  uint64_t seed = 1;          // reproducible keys
};

class SevHost {
 public:
  explicit SevHost(const SevHostOptions& opt = {});
  SevHost(const SevHost&) = delete;
  SevHost& operator=(const SevHost&) = delete;

  // A VM of `mode` with `ram` bytes, launched (LAUNCH_START .. LAUNCH_FINISH for SEV and
  // SEV-ES). Throws std::runtime_error naming the failed step when the platform cannot.
  std::unique_ptr<sw::hv::Vm> make_vm(sw::hv::SevMode mode, uint64_t ram = 8ull << 20);

  // The attacker's DMA device (64-bit mask: it can put the C-bit on the bus if it wants).
  hw::DmaDevice& dma() { return *dma_; }
  // Bus address of `spa` with or without the C-bit.
  uint64_t bus(SysPhysAddr spa, bool c_bit) const {
    return spa.value | (c_bit ? m.cbit_mask() : 0);
  }
  // What is stored in DRAM at spa (DMA without the C-bit; the device snoops the caches).
  Bytes raw(SysPhysAddr spa, size_t n);
  void raw_write(SysPhysAddr spa, ByteSpan bytes);

  hw::Machine m;
  sw::host::HostKernel k;
  sw::host::SevDev dev;
  sw::hv::KvmSev kvm;

 private:
  static hw::MachineConfig config(const SevHostOptions& opt);
  hw::DmaDevice* dma_ = nullptr;
};

}  // namespace cbit::attacks
