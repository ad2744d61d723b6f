#include "sw/host/pgtable.h"

#include "common/error.h"

namespace cbit::sw::host {

namespace {
unsigned index_at(VirtAddr va, int level) {  // level 4 = PGD ... 1 = PTE
  return static_cast<unsigned>(va.value >> (12 + 9 * (level - 1)) & 511);
}
}  // namespace

KernelPageTables::KernelPageTables(hw::PhysMemPort& mem, TableAllocator alloc, uint64_t enc_mask)
    : mem_(mem), alloc_(std::move(alloc)), enc_mask_(enc_mask), pgd_(alloc_()) {}

uint64_t KernelPageTables::read_entry(SysPhysAddr where) {
  uint8_t b[8];
  mem_.read(where, b, table_attr());
  return load_le<uint64_t>(b);
}

void KernelPageTables::set_entry(SysPhysAddr where, uint64_t value) {
  uint8_t b[8];
  store_le(b, value);
  mem_.write(where, b, table_attr());
}

// The next-level table an entry points to, allocated on first use.
SysPhysAddr KernelPageTables::table_for(SysPhysAddr where) {
  uint64_t e = read_entry(where);
  if (!(e & _PAGE_PRESENT)) {
    const SysPhysAddr t = alloc_();
    e = t.value | enc_mask_ | _KERNPG_TABLE;
    set_entry(where, e);
  }
  CBIT_ASSERT(!(e & _PAGE_PSE));
  return SysPhysAddr(entry_addr(e));
}

void KernelPageTables::map(VirtAddr va, SysPhysAddr pa, uint64_t size, uint64_t prot,
                           bool allow_large) {
  constexpr uint64_t k2M = 2ull << 20;
  uint64_t off = 0;
  while (off < size) {
    const VirtAddr v(va.value + off);
    const uint64_t p = pa.value + off;
    SysPhysAddr pud = table_for(pgd_ + index_at(v, 4) * 8);
    SysPhysAddr pmd = table_for(pud + index_at(v, 3) * 8);
    if (allow_large && v.value % k2M == 0 && p % k2M == 0 && size - off >= k2M) {
      set_entry(pmd + index_at(v, 2) * 8, p | prot | _PAGE_PSE);
      off += k2M;
      continue;
    }
    SysPhysAddr pte = table_for(pmd + index_at(v, 2) * 8);
    set_entry(pte + index_at(v, 1) * 8, p | prot);
    off += kPageSize;
  }
}

std::optional<KernelPageTables::Entry> KernelPageTables::lookup_address(VirtAddr va) {
  SysPhysAddr table = pgd_;
  for (int level = 4; level >= 1; --level) {
    const SysPhysAddr where = table + index_at(va, level) * 8;
    const uint64_t e = read_entry(where);
    if (!(e & _PAGE_PRESENT)) return std::nullopt;
    if (level == 1) return Entry{where, e, PgLevel::Pte};
    if (level == 2 && (e & _PAGE_PSE)) return Entry{where, e, PgLevel::Pmd};
    CBIT_ASSERT(!(e & _PAGE_PSE));  // the model maps no 1 GiB pages
    table = SysPhysAddr(entry_addr(e));
  }
  return std::nullopt;
}

KernelPageTables::Entry KernelPageTables::split_large_page(const Entry& pmd, VirtAddr va) {
  CBIT_ASSERT(pmd.level == PgLevel::Pmd);
  const SysPhysAddr table = alloc_();
  const uint64_t base = entry_addr(pmd.value) & ~((2ull << 20) - 1);
  const uint64_t attrs = pmd.value & ~0x000ffffffffff000ull & ~_PAGE_PSE;
  const uint64_t enc = pmd.value & enc_mask_;
  for (uint64_t i = 0; i < 512; ++i) set_entry(table + i * 8, (base + i * kPageSize) | attrs | enc);
  set_entry(pmd.where, table.value | enc_mask_ | _KERNPG_TABLE);
  return {table + index_at(va, 1) * 8, read_entry(table + index_at(va, 1) * 8), PgLevel::Pte};
}

}  // namespace cbit::sw::host
