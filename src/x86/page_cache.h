// A small write-back cache of plaintext pages between the executor's MMIO callbacks and
// GuestMemory (ARCHITECTURE.md "Real x86-64 code": one callback per guest load or store would
// otherwise walk the MMU and the cache hierarchy every time).
//
// Faithfulness rules: a page enters the cache only through GuestMemory::read (so the read
// permission and the key of the mapping were checked by the CPU); the first store to a cached
// page is written through GuestMemory::write (so the write permission is checked and the D bit
// set) and only later stores stay in the cache; an access whose page fill faults is made again
// on its own bytes, so the fault is the access's (CR2 the address it touched, W set for a
// store), as the CPU reports it; flush() writes every dirty byte back through
// GuestMemory and forgets everything. The Process flushes whenever control leaves the guest
// (end of run(), every system call and VMGEXIT), so nothing outside the guest ever sees a
// stale page and the cache never survives a change of the page tables. When an access left the
// guest (GuestMemory::world_switches() moved: an #NPF the hypervisor resolved), the access
// completes and then the whole cache is written back and dropped, so every page is translated
// again at its next access and a page the hypervisor unmapped meanwhile faults again, as on
// hardware after the TLB flush at the next VMRUN.
#pragma once
#include <cstdint>
#include <memory>

#include "x86/guest_memory.h"

namespace cbit::x86 {

class PlaintextPageCache {
 public:
  static constexpr size_t kSlots = 64;  // direct-mapped by page number: 256 KiB

  explicit PlaintextPageCache(GuestMemory& mem);
  // Both stay within one page (the caller splits); may throw hw::CpuException.
  void read(uint64_t va, uint8_t* out, size_t n);
  void write(uint64_t va, const uint8_t* in, size_t n);
  // Writes back every dirty byte, then drops every page. May throw hw::CpuException.
  void flush();

  uint64_t fills() const { return fills_; }
  uint64_t writebacks() const { return writebacks_; }

 private:
  struct Slot {
    static constexpr uint64_t kEmpty = ~0ull;
    uint64_t page = kEmpty;
    bool writable = false;    // a store through GuestMemory succeeded on this page
    uint32_t lo = 0, hi = 0;  // dirty byte range [lo, hi)
    alignas(64) uint8_t data[kPageSize];
  };
  Slot& slot_for(uint64_t page);
  // slot_for, or nullptr when the page's fill faults: the caller then makes its own access,
  // whose fault is the one the CPU reports for it.
  Slot* slot_or_null(uint64_t page);
  void write_back(Slot& s);
  // After an access: flush() if control left the guest since the last one.
  void after_access();

  GuestMemory& mem_;
  std::unique_ptr<Slot[]> slots_;
  uint64_t fills_ = 0, writebacks_ = 0;
  uint64_t switches_seen_ = 0;
  bool went_to_memory_ = false;  // this access filled a slot or wrote through
};

}  // namespace cbit::x86
