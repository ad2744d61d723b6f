// GuestMemory over a simulated hw::Cpu: the accesses of a user process at CPL 3.
//
// read/write/fetch are the CPU's read_virt/write_virt/fetch_virt with the CPU switched to CPL 3
// for the access (and back): U/S checks apply as they do to a user program. During the access
// the CPU also holds the program's registers (set_user_regs_source), so an #NPF exit saves the
// program's state in the VMSA, as hardware does; the kernel's registers are restored after.
// map() and unmap() are the "kernel": functions the owner supplies that allocate and free
// frames and write the page tables (a memory without an unmap function refuses unmap() with
// hw::NotModelled).
#pragma once
#include <functional>

#include "hw/cpu/cpu.h"
#include "hw/cpu/vmexit_count.h"
#include "x86/guest_memory.h"

namespace cbit::x86 {

class CpuGuestMemory final : public GuestMemory {
 public:
  using MapFn = std::function<void(VirtAddr va, uint64_t size, unsigned prot)>;
  using UnmapFn = std::function<void(VirtAddr va, uint64_t size)>;
  CpuGuestMemory(hw::Cpu& cpu, MapFn map, UnmapFn unmap = {})
      : cpu_(cpu), map_(std::move(map)), unmap_(std::move(unmap)) {}

  void read(VirtAddr va, MutByteSpan out) override;
  void write(VirtAddr va, ByteSpan in) override;
  void fetch(VirtAddr va, MutByteSpan out) override;
  void map(VirtAddr va, uint64_t size, unsigned prot) override;
  void unmap(VirtAddr va, uint64_t size) override;
  uint64_t world_switches() const override { return hw::vmexits_so_far(); }
  void set_user_regs_source(RegsSource source) override { regs_ = std::move(source); }

  hw::Cpu& cpu() { return cpu_; }

 private:
  hw::Cpu& cpu_;
  MapFn map_;
  UnmapFn unmap_;
  RegsSource regs_;
};

}  // namespace cbit::x86
