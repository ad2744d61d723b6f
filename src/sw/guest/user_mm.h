// A user program's pages in the guest kernel: which frame backs each user page and the PTE that
// says so (Linux mm/mmap.c, mm/mprotect.c change_pte_range(), mm/memory.c zap_pte_range(),
// arch/x86/include/asm/pgtable_types.h _PAGE_PROTNONE). What x86::GuestMemory's map and unmap
// ask of the "kernel" behind them (x86/guest_memory.h):
//
//   map(va, size, prot)  a page not mapped yet gets a zeroed private frame; a mapped page keeps
//                        its frame, its bytes and its D bit and takes the new rights, and its
//                        stale translation leaves the TLB (INVLPG). prot 0 is PROT_NONE: the
//                        entry keeps the frame but is not present (Linux sets _PAGE_PROTNONE,
//                        bit 8, instead of _PAGE_PRESENT), so every access is a #PF with P = 0
//                        and a later mprotect brings the same bytes back.
//   unmap(va, size)      each mapped page's entry cleared, its translation flushed, its frame
//                        freed (its bytes stay in RAM until the allocator hands it out again,
//                        as after Linux's munmap); pages not mapped are skipped. The page-table
//                        pages stay until exit (Linux frees them lazily too).
//   pages()              the frames mapped now, in the order they were allocated.
//
// Every entry carries the mm's C-bit (enc_mask): a user page is private to the guest.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "common/addr.h"
#include "sw/guest/pgtable.h"

namespace cbit::sw::guest {

// Linux's marker of a PROT_NONE entry: _PAGE_GLOBAL's bit, meaningful while P is clear.
inline constexpr uint64_t _PAGE_PROTNONE = host::_PAGE_GLOBAL;

class UserMm {
 public:
  struct Ops {
    std::function<GuestPhysAddr()> alloc_page;  // a zeroed frame (the kernel panics when none)
    std::function<void(GuestPhysAddr)> free_page;
    std::function<void(VirtAddr)> invlpg;
  };
  UserMm(GuestPageTables& pt, Ops ops) : pt_(pt), ops_(std::move(ops)) {}

  void map(VirtAddr va, uint64_t size, unsigned prot);
  void unmap(VirtAddr va, uint64_t size);
  std::vector<GuestPhysAddr> pages() const;

 private:
  struct Page {
    GuestPhysAddr pa;
    uint64_t seq = 0;    // allocation order
    bool none = false;   // PROT_NONE: the entry is not present
    bool dirty = false;  // the D bit while the entry is not present
  };
  // The present entry's D bit, or the one kept while it was PROT_NONE.
  bool dirty_of(VirtAddr va, const Page& p);

  GuestPageTables& pt_;
  Ops ops_;
  std::map<uint64_t, Page> pages_;  // user page -> its frame
  uint64_t next_seq_ = 0;
};

}  // namespace cbit::sw::guest
