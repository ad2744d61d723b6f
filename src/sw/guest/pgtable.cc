#include "sw/guest/pgtable.h"

#include "common/error.h"

namespace cbit::sw::guest {

namespace {
constexpr uint64_t k2M = 2ull << 20;
unsigned index_at(VirtAddr va, int level) {  // 4 = PGD ... 1 = PTE
  return static_cast<unsigned>(va.value >> (12 + 9 * (level - 1)) & 511);
}
}  // namespace

GuestPageTables::GuestPageTables(PteIo& io, TableAllocator alloc, uint64_t enc_mask)
    : io_(io), alloc_(std::move(alloc)), enc_mask_(enc_mask), pgd_(alloc_table()) {}

GuestPhysAddr GuestPageTables::alloc_table() {
  ++tables_;
  return alloc_();
}

GuestPhysAddr GuestPageTables::table_for(GuestPhysAddr where, uint64_t table_prot) {
  uint64_t e = read_entry(where);
  if (!(e & _PAGE_PRESENT)) {
    const GuestPhysAddr t = alloc_table();
    e = t.value | enc_mask_ | table_prot;
    set_entry(where, e);
  } else if ((table_prot & _PAGE_USER) && !(e & _PAGE_USER)) {
    e |= _PAGE_USER;  // a user mapping below: every level must allow CPL 3
    set_entry(where, e);
  }
  CBIT_ASSERT(!(e & _PAGE_PSE));
  return GuestPhysAddr(entry_addr(e));
}

void GuestPageTables::map(VirtAddr va, GuestPhysAddr pa, uint64_t size, uint64_t prot,
                          bool allow_large, uint64_t table_prot) {
  for (uint64_t off = 0; off < size;) {
    const VirtAddr v(va.value + off);
    const uint64_t p = pa.value + off;
    const GuestPhysAddr pud = table_for(pgd_ + index_at(v, 4) * 8, table_prot);
    const GuestPhysAddr pmd = table_for(pud + index_at(v, 3) * 8, table_prot);
    if (allow_large && v.value % k2M == 0 && p % k2M == 0 && size - off >= k2M) {
      set_entry(pmd + index_at(v, 2) * 8, p | prot | _PAGE_PSE);
      off += k2M;
      continue;
    }
    const GuestPhysAddr pte = table_for(pmd + index_at(v, 2) * 8, table_prot);
    set_entry(pte + index_at(v, 1) * 8, p | prot);
    off += kPageSize;
  }
}

std::optional<GuestPageTables::Entry> GuestPageTables::lookup_address(VirtAddr va) {
  GuestPhysAddr table = pgd_;
  for (int level = 4; level >= 1; --level) {
    const GuestPhysAddr where = table + index_at(va, level) * 8;
    const uint64_t e = read_entry(where);
    if (!(e & _PAGE_PRESENT)) return std::nullopt;
    if (level == 1) return Entry{where, e, PgLevel::Pte};
    if (level == 2 && (e & _PAGE_PSE)) return Entry{where, e, PgLevel::Pmd};
    CBIT_ASSERT(!(e & _PAGE_PSE));  // no 1 GiB pages in this kernel
    table = GuestPhysAddr(entry_addr(e));
  }
  return std::nullopt;
}

GuestPageTables::Entry GuestPageTables::split_large_page(const Entry& pmd, VirtAddr va) {
  CBIT_ASSERT(pmd.level == PgLevel::Pmd);
  const GuestPhysAddr table = alloc_table();
  const uint64_t base = entry_addr(pmd.value) & ~(k2M - 1);
  const uint64_t attrs = pmd.value & ~0x000ffffffffff000ull & ~_PAGE_PSE;
  const uint64_t enc = pmd.value & enc_mask_;
  uint64_t entries[512];
  for (uint64_t i = 0; i < 512; ++i) entries[i] = (base + i * kPageSize) | attrs | enc;
  io_.write_table(table, entries);
  set_entry(pmd.where, table.value | enc_mask_ | _KERNPG_TABLE);
  const GuestPhysAddr where = table + index_at(va, 1) * 8;
  return {where, read_entry(where), PgLevel::Pte};
}

uint64_t GuestPageTables::pgd_entry(VirtAddr va) { return read_entry(pgd_ + index_at(va, 4) * 8); }
void GuestPageTables::set_pgd_entry(VirtAddr va, uint64_t value) {
  set_entry(pgd_ + index_at(va, 4) * 8, value);
}

}  // namespace cbit::sw::guest
