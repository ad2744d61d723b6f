// The host kernel's own 4-level page tables, kept in simulated memory and written the way the
// kernel writes them: through its (encrypted, once SME is active) direct map. Table pointers
// carry _PAGE_ENC so the CPU's walker reads each next table with the right key.
// Names follow Linux (lookup_address, split_large_page, set_pte).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "common/addr.h"
#include "hw/mem_port.h"
#include "sw/host/pgtable_types.h"

namespace cbit::sw::host {

class KernelPageTables {
 public:
  using TableAllocator = std::function<SysPhysAddr()>;  // a zeroed 4 KiB page
  KernelPageTables(hw::PhysMemPort& mem, TableAllocator alloc, uint64_t enc_mask);

  SysPhysAddr pgd() const { return pgd_; }
  uint64_t enc_mask() const { return enc_mask_; }

  // Maps [va, va+size) to [pa, pa+size) with `prot`, using 2 MiB pages where both addresses
  // are aligned and `allow_large`, 4 KiB pages otherwise. prot may include _PAGE_ENC.
  void map(VirtAddr va, SysPhysAddr pa, uint64_t size, uint64_t prot, bool allow_large = true);

  struct Entry {
    SysPhysAddr where;  // physical address of the entry
    uint64_t value;
    PgLevel level;  // Pte (4 KiB) or Pmd (2 MiB, PSE)
  };
  std::optional<Entry> lookup_address(VirtAddr va);
  // Replaces a 2 MiB mapping by a table of 512 4 KiB entries with the same attributes.
  Entry split_large_page(const Entry& pmd, VirtAddr va);
  void set_entry(SysPhysAddr where, uint64_t value);
  uint64_t read_entry(SysPhysAddr where);

  // Physical-address field of an entry (bits 51:12, less the C-bit).
  uint64_t entry_addr(uint64_t e) const { return e & 0x000ffffffffff000ull & ~enc_mask_; }

 private:
  SysPhysAddr table_for(SysPhysAddr entry_where);
  hw::MemAttr table_attr() const { return {enc_mask_ != 0, Asid(0)}; }

  hw::PhysMemPort& mem_;
  TableAllocator alloc_;
  uint64_t enc_mask_;
  SysPhysAddr pgd_;
};

}  // namespace cbit::sw::host
