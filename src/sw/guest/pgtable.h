// The guest kernel's 4-level page tables (Linux arch/x86/mm/pgtable.c, init_64.c, the
// lookup_address/split_large_page pair of arch/x86/mm/pat/set_memory.c).
//
// The tables live in guest RAM and the guest writes them itself, through its CPU: before CR0.PG
// at their guest physical address (an SEV guest's accesses are then private by force), after it
// through its own direct map. Table pointers carry _PAGE_ENC (the C-bit) like every entry of an
// SEV guest's kernel mappings, so they are private too (APM Vol. 2 §15.34.5: an SEV guest's page
// tables are always read with the guest key anyway). The PteIo interface is how an entry is read
// or written; unit tests give it plain memory.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "common/addr.h"
#include "sw/host/pgtable_types.h"

namespace cbit::sw::guest {

using host::_KERNPG_TABLE;
using host::_PAGE_ACCESSED;
using host::_PAGE_DIRTY;
using host::_PAGE_NX;
using host::_PAGE_PRESENT;
using host::_PAGE_PSE;
using host::_PAGE_RW;
using host::_PAGE_USER;
using host::PAGE_OFFSET;
using host::PgLevel;

// _PAGE_TABLE: a table pointer that user mappings may pass through (Linux pgtable_types.h).
inline constexpr uint64_t _PAGE_TABLE = _KERNPG_TABLE | _PAGE_USER;
// The kernel's own mappings (no _PAGE_GLOBAL: the guest does not turn CR4.PGE on).
inline constexpr uint64_t __PAGE_KERNEL =
    _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_NX;

class PteIo {
 public:
  virtual ~PteIo() = default;
  virtual uint64_t read_pte(GuestPhysAddr where) = 0;
  virtual void write_pte(GuestPhysAddr where, uint64_t value) = 0;
  // A whole table at once (a split fills 512 entries); by default entry by entry.
  virtual void write_table(GuestPhysAddr table, const uint64_t (&entries)[512]) {
    for (uint64_t i = 0; i < 512; ++i) write_pte(table + i * 8, entries[i]);
  }
};

class GuestPageTables {
 public:
  using TableAllocator = std::function<GuestPhysAddr()>;  // a zeroed 4 KiB page
  // A new, empty PGD from `alloc`.
  GuestPageTables(PteIo& io, TableAllocator alloc, uint64_t enc_mask);

  GuestPhysAddr pgd() const { return pgd_; }
  uint64_t enc_mask() const { return enc_mask_; }
  // CR3 as the kernel loads it: the PGD's address with the C-bit (__sme_pa).
  uint64_t cr3() const { return pgd_.value | enc_mask_; }

  // Maps [va, va+size) to [pa, pa+size) with `prot` (which may include _PAGE_ENC), with 2 MiB
  // pages where both are aligned and `allow_large`. Intermediate entries get `table_prot`.
  void map(VirtAddr va, GuestPhysAddr pa, uint64_t size, uint64_t prot, bool allow_large = true,
           uint64_t table_prot = _KERNPG_TABLE);

  struct Entry {
    GuestPhysAddr where;  // guest physical address of the entry
    uint64_t value;
    PgLevel level;  // Pte (4 KiB) or Pmd (2 MiB)
  };
  std::optional<Entry> lookup_address(VirtAddr va);
  // A 2 MiB mapping becomes a table of 512 4 KiB entries with the same attributes.
  Entry split_large_page(const Entry& pmd, VirtAddr va);
  // The PGD entry covering `va` (to share the kernel half with a user PGD).
  uint64_t pgd_entry(VirtAddr va);
  void set_pgd_entry(VirtAddr va, uint64_t value);

  void set_entry(GuestPhysAddr where, uint64_t value) { io_.write_pte(where, value); }
  uint64_t read_entry(GuestPhysAddr where) { return io_.read_pte(where); }
  // The frame an entry points to: bits 51:12 less the C-bit.
  uint64_t entry_addr(uint64_t e) const { return e & 0x000ffffffffff000ull & ~enc_mask_; }

  uint64_t tables_allocated() const { return tables_; }

 private:
  GuestPhysAddr table_for(GuestPhysAddr where, uint64_t table_prot);
  GuestPhysAddr alloc_table();

  PteIo& io_;
  TableAllocator alloc_;
  uint64_t enc_mask_;
  uint64_t tables_ = 0;
  GuestPhysAddr pgd_;
};

}  // namespace cbit::sw::guest
