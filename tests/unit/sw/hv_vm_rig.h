// A host that runs VMs, for the hypervisor tests and the encryption-control conformance test: a
// machine booted with SME (or without), its kernel, the PSP driver, KVM's SEV state, and guests
// written as small functions that run on the simulated core in guest mode.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "hw/cpu/cpu.h"
#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/vm.h"

namespace cbit::sw::hv::test {

struct VmHost {
  // `snp`: the BIOS reserves the RMP and sets SNP up (an SEV-SNP host).
  explicit VmHost(bool sme = true, const std::string& cpu = "milan", uint64_t seed = 5,
                  bool snp = false)
      : m(config(sme, cpu, seed, snp)),
        k(m, host::KernelConfig{sme ? "mem_encrypt=on" : "mem_encrypt=off", false, 0}),
        dev((k.boot(), k), m),
        kvm(dev) {}
  static hw::MachineConfig config(bool sme, const std::string& cpu, uint64_t seed,
                                  bool snp = false) {
    hw::MachineConfig c;
    c.cpu = hw::cpu_model_by_name(cpu);
    c.dram_bytes = 128ull << 20;
    c.seed = seed;
    c.firmware.sme = sme;
    c.firmware.snp = snp;
    return c;
  }
  std::unique_ptr<Vm> make_vm(SevMode mode, uint64_t ram = 8ull << 20) {
    VmConfig cfg;
    cfg.mode = mode;
    cfg.ram_bytes = ram;
    cfg.policy = mode == SevMode::SevEs ? 0x4 : 0x0;
    return std::make_unique<Vm>(m, k, mode == SevMode::None ? nullptr : &kvm, cfg);
  }
  // What is in the DRAM chips at `spa` (caches written back first).
  Bytes raw(SysPhysAddr spa, size_t n) {
    m.cache().wbinvd();
    Bytes b(n);
    m.raw_view().read(spa, b);
    return b;
  }
  hw::Machine m;
  host::HostKernel k;
  host::SevDev dev;
  KvmSev kvm;
};

// Guest code as a function.
struct FnGuest final : hw::svm::GuestSoftware {
  explicit FnGuest(std::function<void(hw::Cpu&)> f) : fn(std::move(f)) {}
  void run(hw::Cpu& cpu) override { fn(cpu); }
  std::function<void(hw::Cpu&)> fn;
};

inline bool contains(ByteSpan hay, std::string_view needle) {
  return count_occurrences(
             hay, ByteSpan(reinterpret_cast<const uint8_t*>(needle.data()), needle.size())) > 0;
}

// Writes 4-level page tables into guest memory (with paging still off: in an SEV guest those
// writes are private) mapping one 4 KiB page va -> gpa with a chosen leaf C-bit. Tables at
// `tables` .. tables + 3 pages. Returns the CR3 value (with `cr3_c` as its C-bit).
inline uint64_t guest_map_one(hw::Cpu& cpu, uint64_t tables, uint64_t va, uint64_t gpa,
                              uint64_t cbit_mask, bool leaf_c, bool tables_c) {
  const uint64_t flags = 0x7;  // P | RW | US
  const uint64_t tc = tables_c ? cbit_mask : 0;
  const uint64_t pml4 = tables, pdpt = tables + 0x1000, pd = tables + 0x2000, pt = tables + 0x3000;
  const uint8_t zero[4096] = {};
  for (uint64_t t = pml4; t <= pt; t += 0x1000) cpu.write_virt(VirtAddr(t), zero);
  cpu.write<uint64_t>(VirtAddr(pml4 + 8 * ((va >> 39) & 511)), pdpt | tc | flags);
  cpu.write<uint64_t>(VirtAddr(pdpt + 8 * ((va >> 30) & 511)), pd | tc | flags);
  cpu.write<uint64_t>(VirtAddr(pd + 8 * ((va >> 21) & 511)), pt | tc | flags);
  cpu.write<uint64_t>(VirtAddr(pt + 8 * ((va >> 12) & 511)),
                      gpa | (leaf_c ? cbit_mask : 0) | flags);
  return pml4 | tc;
}

// Long mode with paging on, CR3 as given.
inline void guest_enable_paging(hw::Cpu& cpu, uint64_t cr3) {
  cpu.mov_to_cr4(cpu.cr4() | hw::cr4::kPae);
  cpu.wrmsr(hw::msr::kEfer, cpu.rdmsr(hw::msr::kEfer) | hw::efer::kLme);
  cpu.mov_to_cr3(cr3);
  cpu.mov_to_cr0(cpu.cr0() | hw::cr0::kPg | hw::cr0::kPe);
}

}  // namespace cbit::sw::hv::test
