// The translation lookaside buffer: finished translations, keyed by virtual page.
//
// An entry holds what the walk found for the whole path: the final physical frame, the leaf's
// C-bit, and the permissions combined over all levels (writable and user only if every level
// says so, no-execute if any level says so). The checks (CR0.WP, EFER.NXE, CPL) are applied to
// these bits at every access, so a later change of WP or NXE can never let a cached entry
// allow an access the walk would refuse; an entry is inserted only after a walk whose access
// passed all checks. Invalidation follows the architecture (APM Vol. 2 §5.5): INVLPG drops the
// page (the whole large page that covers it), MOV CR3 drops all but global entries, a change of
// CR4.PGE or CR0.PG drops everything. A page fault drops the entry of the faulting page.
//
// Direct-mapped arrays, one per page size: finite like a real TLB (a conflicting insert evicts),
// and fast on the hit path the x86 runner depends on. Flushes are O(1): each entry carries the
// epoch it was inserted in, and a flush starts a new epoch; an entry from before the last
// flush_all (or, if not global, before the last flush_non_global) is as good as gone. KVM flushes
// the nested TLB on every VMRUN, so an SNP guest's exits would otherwise clear 26 KiB each.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "common/addr.h"

namespace cbit::hw {

struct TlbEntry {
  uint64_t vpn = 0;        // virtual address >> page_shift
  uint64_t frame = 0;      // physical base of the page (C-bit removed)
  uint8_t page_shift = 0;  // 12, 21 or 30; 0 = invalid
  bool c_bit = false;      // the leaf entry's C-bit: the key of the data access
  bool writable = false;   // AND of R/W over all levels
  bool user = false;       // AND of U/S over all levels
  bool nx = false;         // OR of NX over all levels
  bool global = false;     // leaf G with CR4.PGE=1 when cached
  bool dirty = false;      // the leaf's D bit is known to be set in memory
  uint64_t epoch = 0;      // Tlb's epoch at insertion (set by Tlb::insert)
  bool valid() const { return page_shift != 0; }
  SysPhysAddr translate(VirtAddr va) const {
    return SysPhysAddr(frame | (va.value & ((1ull << page_shift) - 1)));
  }
};

struct TlbStats {
  uint64_t hits = 0, misses = 0, flushes = 0;
};

class Tlb {
 public:
  // The entry covering va, if cached.
  const TlbEntry* lookup(VirtAddr va);
  void insert(VirtAddr va, const TlbEntry& e);

  void invlpg(VirtAddr va);  // every entry covering va
  void flush_non_global();   // MOV CR3
  void flush_all();          // CR4.PGE toggle, CR0.PG change
  size_t valid_entries() const;
  const TlbStats& stats() const { return stats_; }

 private:
  template <size_t N>
  using Set = std::array<TlbEntry, N>;
  static constexpr size_t k4K = 1024, k2M = 64, k1G = 16;
  TlbEntry* slot(VirtAddr va, unsigned shift);
  // Whether e survived every flush since it was inserted.
  bool live(const TlbEntry& e) const {
    return e.valid() && e.epoch >= (e.global ? all_from_ : non_global_from_);
  }

  Set<k4K> small_{};
  Set<k2M> large_{};
  Set<k1G> huge_{};
  TlbStats stats_;
  uint64_t epoch_ = 1;            // stamped on inserted entries; a flush starts the next one
  uint64_t all_from_ = 1;         // entries of earlier epochs were dropped by flush_all
  uint64_t non_global_from_ = 1;  // non-global ones of earlier epochs, by either flush
};

}  // namespace cbit::hw
