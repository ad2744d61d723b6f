#include "x86/page_cache.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "hw/cpu/fault.h"

namespace cbit::x86 {

PlaintextPageCache::PlaintextPageCache(GuestMemory& mem)
    : mem_(mem), slots_(std::make_unique<Slot[]>(kSlots)), switches_seen_(mem.world_switches()) {}

PlaintextPageCache::Slot& PlaintextPageCache::slot_for(uint64_t page) {
  Slot& s = slots_[(page >> kPageShift) % kSlots];
  if (s.page == page) return s;
  went_to_memory_ = true;
  write_back(s);
  s.page = Slot::kEmpty;
  // The fill is the architectural read: it may fault, and then the slot stays empty.
  mem_.read(VirtAddr(page), MutByteSpan(s.data, kPageSize));
  s.page = page;
  s.writable = false;
  s.lo = s.hi = 0;
  ++fills_;
  return s;
}

void PlaintextPageCache::after_access() {
  if (!went_to_memory_) return;  // a hit: nothing left the guest
  went_to_memory_ = false;
  if (mem_.world_switches() == switches_seen_) return;
  flush();  // its write-backs may leave the guest again: everything is dropped all the same
  switches_seen_ = mem_.world_switches();
}

void PlaintextPageCache::write_back(Slot& s) {
  if (s.page == Slot::kEmpty || s.hi <= s.lo) return;
  mem_.write(VirtAddr(s.page + s.lo), ByteSpan(s.data + s.lo, s.hi - s.lo));
  s.lo = s.hi = 0;
  ++writebacks_;
}

PlaintextPageCache::Slot* PlaintextPageCache::slot_or_null(uint64_t page) {
  try {
    return &slot_for(page);
  } catch (const hw::CpuException&) {
    return nullptr;
  }
}

void PlaintextPageCache::read(uint64_t va, uint8_t* out, size_t n) {
  const uint64_t off = va & (kPageSize - 1);
  CBIT_ASSERT(off + n <= kPageSize);
  if (const Slot* s = slot_or_null(va - off))
    std::memcpy(out, s->data + off, n);
  else
    mem_.read(VirtAddr(va), MutByteSpan(out, n));  // the access's own fault (its CR2)
  after_access();
}

void PlaintextPageCache::write(uint64_t va, const uint8_t* in, size_t n) {
  const uint64_t off = va & (kPageSize - 1);
  CBIT_ASSERT(off + n <= kPageSize);
  Slot* slot = slot_or_null(va - off);
  if (!slot) {  // a page that does not read: the store's own fault (its CR2, W in the code)
    mem_.write(VirtAddr(va), ByteSpan(in, n));
    after_access();
    return;
  }
  Slot& s = *slot;
  if (!s.writable) {
    went_to_memory_ = true;
    mem_.write(VirtAddr(va), ByteSpan(in, n));  // checks R/W and sets D, or faults
    s.writable = true;
    std::memcpy(s.data + off, in, n);
    after_access();
    return;
  }
  std::memcpy(s.data + off, in, n);
  if (s.hi <= s.lo) {
    s.lo = static_cast<uint32_t>(off);
    s.hi = static_cast<uint32_t>(off + n);
  } else {
    s.lo = std::min<uint32_t>(s.lo, static_cast<uint32_t>(off));
    s.hi = std::max<uint32_t>(s.hi, static_cast<uint32_t>(off + n));
  }
  after_access();  // the fill of this slot may have left the guest
}

void PlaintextPageCache::flush() {
  for (size_t i = 0; i < kSlots; ++i) {
    Slot& s = slots_[i];
    write_back(s);
    s.page = Slot::kEmpty;
    s.writable = false;
  }
}

}  // namespace cbit::x86
