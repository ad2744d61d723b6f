#include "x86/cpu_guest_memory.h"

#include "common/error.h"

namespace cbit::x86 {
namespace {

// CPL 3 for the duration of one access, restored even when the access faults.
class UserMode {
 public:
  explicit UserMode(hw::Cpu& cpu) : cpu_(cpu), saved_(cpu.cpl()) { cpu_.set_cpl(3); }
  ~UserMode() { cpu_.set_cpl(saved_); }
  UserMode(const UserMode&) = delete;
  UserMode& operator=(const UserMode&) = delete;

 private:
  hw::Cpu& cpu_;
  unsigned saved_;
};

}  // namespace

void CpuGuestMemory::read(VirtAddr va, MutByteSpan out) {
  UserMode user(cpu_);
  cpu_.read_virt(va, out);
}

void CpuGuestMemory::write(VirtAddr va, ByteSpan in) {
  UserMode user(cpu_);
  cpu_.write_virt(va, in);
}

void CpuGuestMemory::fetch(VirtAddr va, MutByteSpan out) {
  UserMode user(cpu_);
  cpu_.fetch_virt(va, out);
}

void CpuGuestMemory::map(VirtAddr va, uint64_t size, unsigned prot) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
  CBIT_ASSERT(map_ != nullptr);
  map_(va, size, prot);
}

}  // namespace cbit::x86
