// The MMU: 4-level long-mode translation with the C-bit (APM Vol. 2 §5.3-5.6, §7.10).
//
// The C-bit is honoured wherever a physical address appears (Linux amd-memory-encryption.rst):
// CR3's C-bit decides how the PML4 is read, each entry's C-bit decides how the table it points
// to is read, and the leaf's C-bit decides the key of the data access. Reserved bits - those
// above MAXPHYADDR, the ones memory encryption takes away (PhysAddrLayout), NX without
// EFER.NXE, and the per-level must-be-zero bits - give #PF with P|RSVD. Permissions are the
// AND (R/W, U/S) or OR (NX) over all levels, with CR0.WP deciding supervisor writes.
//
// Accessed and Dirty bits are written back once the access has passed every check (an
// implementation choice the APM allows: §5.4.2 leaves A/D on a faulting access open).
#pragma once
#include <cstdint>

#include "common/addr.h"
#include "hw/cpu/paging.h"
#include "hw/cpu/table_port.h"
#include "hw/cpu/tlb.h"

namespace cbit::hw {

enum class Access : uint8_t { Read, Write, Fetch };

// The control-register state a translation depends on.
struct PagingMode {
  bool paging = false;  // CR0.PG (with EFER.LME and CR4.PAE: 4-level long mode)
  bool wp = false;      // CR0.WP
  bool nxe = false;     // EFER.NXE
  bool pge = false;     // CR4.PGE
  uint64_t cr3 = 0;
};

// Who walks: the host (every C-bit honoured) or, later, an SEV guest whose page-table reads
// and instruction fetches are private whatever the C-bits say (APM §15.34.5).
struct WalkPolicy {
  bool tables_always_private = false;
  bool fetch_always_private = false;
};

struct Translation {
  SysPhysAddr pa;
  bool c_bit = false;       // the key of the data access
  uint8_t page_shift = 12;  // the mapping's page size (12, 21 or 30): the RMP's size checks
};

class Mmu {
 public:
  Mmu(PageTableReader& tables, const PhysAddrLayout& layout, WalkPolicy policy = {})
      : tables_(tables), layout_(layout), policy_(policy) {}

  // The translation of va for this access; throws PageFault (or GeneralProtection for a
  // non-canonical address). Uses and fills the TLB.
  Translation translate(VirtAddr va, Access access, bool user, const PagingMode& mode);

  void set_layout(const PhysAddrLayout& l) { layout_ = l; }
  // A new start, as a freshly built Mmu over the same tables: layout, policy, an empty TLB (an
  // O(1) flush, where a new Mmu would clear 44 KiB of entries).
  void reset(const PhysAddrLayout& l, const WalkPolicy& p) {
    layout_ = l;
    policy_ = p;
    tlb_.flush_all();
  }
  const PhysAddrLayout& layout() const { return layout_; }
  const WalkPolicy& policy() const { return policy_; }
  Tlb& tlb() { return tlb_; }

  uint64_t walks() const { return walks_; }

 private:
  TlbEntry walk(VirtAddr va, Access access, bool user, const PagingMode& mode);
  bool allowed(const TlbEntry& e, Access access, bool user, const PagingMode& mode) const;
  [[noreturn]] void fault(VirtAddr va, uint32_t code, Access access, bool user,
                          const PagingMode& mode);

  PageTableReader& tables_;
  PhysAddrLayout layout_;
  WalkPolicy policy_;
  Tlb tlb_;
  uint64_t walks_ = 0;
};

}  // namespace cbit::hw
