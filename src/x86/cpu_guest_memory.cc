#include "x86/cpu_guest_memory.h"

#include "common/error.h"
#include "hw/cpu/fault.h"

namespace cbit::x86 {
namespace {

// CPL 3 and the program's registers for the duration of one access, the kernel's restored even
// when the access faults.
class UserMode {
 public:
  UserMode(hw::Cpu& cpu, const GuestMemory::RegsSource& regs)
      : cpu_(cpu), saved_(cpu.cpl()), kregs_(cpu.regs()), guest_(cpu.in_guest_mode()) {
    if (regs) cpu_.regs() = regs();
    cpu_.set_cpl(3);
  }
  ~UserMode() {
    // An exit the hypervisor did not resume from leaves the CPU in host mode with the host's
    // registers: nothing of the guest's goes back into them.
    if (cpu_.in_guest_mode() != guest_) return;
    cpu_.set_cpl(saved_);
    cpu_.regs() = kregs_;
  }
  UserMode(const UserMode&) = delete;
  UserMode& operator=(const UserMode&) = delete;

 private:
  hw::Cpu& cpu_;
  unsigned saved_;
  hw::GprFile kregs_;
  bool guest_;
};

}  // namespace

void CpuGuestMemory::read(VirtAddr va, MutByteSpan out) {
  UserMode user(cpu_, regs_);
  cpu_.read_virt(va, out);
}

void CpuGuestMemory::write(VirtAddr va, ByteSpan in) {
  UserMode user(cpu_, regs_);
  cpu_.write_virt(va, in);
}

void CpuGuestMemory::fetch(VirtAddr va, MutByteSpan out) {
  UserMode user(cpu_, regs_);
  cpu_.fetch_virt(va, out);
}

void CpuGuestMemory::map(VirtAddr va, uint64_t size, unsigned prot) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
  CBIT_ASSERT(map_ != nullptr);
  map_(va, size, prot);
}

void CpuGuestMemory::unmap(VirtAddr va, uint64_t size) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
  if (!unmap_) throw hw::NotModelled("unmap: this process's memory has no kernel to free pages");
  unmap_(va, size);
}

}  // namespace cbit::x86
