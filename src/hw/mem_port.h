// The narrow interface between the CPU side and physical memory (STYLE.md: Spike's simif_t).
// An access carries the two signals real hardware sends with a physical address: the C-bit
// (already stripped from the address) and the ASID of the requester (0 = host). The memory
// controller turns them into a key slot, or none; the MMU and the cache know nothing more.
#pragma once
#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::hw {

struct MemAttr {
  bool c_bit = false;
  Asid asid{};
  constexpr bool operator==(const MemAttr&) const = default;
  static constexpr MemAttr plain() { return {}; }
  static constexpr MemAttr host_encrypted() { return {true, Asid(0)}; }
};

// What a physical access resolves to in the memory controller: encrypted with a key slot, or
// not at all. Cache lines are tagged with this (plus the address).
struct EncTag {
  bool encrypted = false;
  KeyId key{};
  constexpr bool operator==(const EncTag&) const = default;
  static constexpr EncTag none() { return {}; }
};

// The CPU's view of physical memory: in the machine this is the cache hierarchy.
// Ranges may be any size; implementations split them at lines and pages.
class PhysMemPort {
 public:
  virtual ~PhysMemPort() = default;
  virtual void read(SysPhysAddr pa, MutByteSpan out, MemAttr attr) = 0;
  virtual void write(SysPhysAddr pa, ByteSpan in, MemAttr attr) = 0;
};

// Cache-maintenance operations the CPU issues (APM Vol. 3; SPEC-FACTS.md "Caches").
class CacheControl {
 public:
  virtual ~CacheControl() = default;
  // CLFLUSH: write back (if dirty) and invalidate the line holding pa, under every key.
  virtual void clflush(SysPhysAddr pa) = 0;
  // CLFLUSH of each line of [pa, pa + len) in address order, the range inside one 4 KiB page:
  // what a loop of CLFLUSHes over a page does once the page's translation is known.
  virtual void clflush_lines(SysPhysAddr pa, uint64_t len) {
    for (uint64_t a = pa.value & ~(kCacheLineSize - 1); a < pa.value + len; a += kCacheLineSize)
      clflush(SysPhysAddr(a));
  }
  virtual void wbinvd() = 0;    // write back all dirty lines, invalidate all
  virtual void wbnoinvd() = 0;  // write back all dirty lines, keep them valid
  virtual void invd() = 0;      // invalidate all WITHOUT write-back: dirty data is lost
  // VM_PAGE_FLUSH MSR (0xC001011E): write back and invalidate one 4 KiB page for one ASID.
  virtual void vm_page_flush(SysPhysAddr page, Asid asid) = 0;
};

}  // namespace cbit::hw
