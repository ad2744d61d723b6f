// GuestMemory over a simulated hw::Cpu: the accesses of a user process at CPL 3.
//
// read/write/fetch are the CPU's read_virt/write_virt/fetch_virt with the CPU switched to CPL 3
// for the access (and back): U/S checks apply as they do to a user program. map() is the
// "kernel": a function the owner supplies that allocates frames and writes the page tables.
#pragma once
#include <functional>

#include "hw/cpu/cpu.h"
#include "x86/guest_memory.h"

namespace cbit::x86 {

class CpuGuestMemory final : public GuestMemory {
 public:
  using MapFn = std::function<void(VirtAddr va, uint64_t size, unsigned prot)>;
  CpuGuestMemory(hw::Cpu& cpu, MapFn map) : cpu_(cpu), map_(std::move(map)) {}

  void read(VirtAddr va, MutByteSpan out) override;
  void write(VirtAddr va, ByteSpan in) override;
  void fetch(VirtAddr va, MutByteSpan out) override;
  void map(VirtAddr va, uint64_t size, unsigned prot) override;

  hw::Cpu& cpu() { return cpu_; }

 private:
  hw::Cpu& cpu_;
  MapFn map_;
};

}  // namespace cbit::x86
