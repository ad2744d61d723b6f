// A user program's pages; user_mm.h has the contract.
#include "sw/guest/user_mm.h"

#include <algorithm>

#include "common/error.h"
#include "x86/guest_memory.h"

namespace cbit::sw::guest {

namespace {

// The leaf entry's rights for `prot` (x86::Prot bits; 0 is PROT_NONE), without the frame.
uint64_t user_pte_flags(unsigned prot, uint64_t enc_mask) {
  const uint64_t rights =
      (x86::has(prot, x86::Prot::W) ? _PAGE_RW : 0) | (x86::has(prot, x86::Prot::X) ? 0 : _PAGE_NX);
  return (prot ? _PAGE_PRESENT : _PAGE_PROTNONE) | _PAGE_USER | _PAGE_ACCESSED | rights | enc_mask;
}

}  // namespace

bool UserMm::dirty_of(VirtAddr va, const Page& p) {
  if (p.none) return p.dirty;
  const auto e = pt_.lookup_address(va);
  return e && (e->value & _PAGE_DIRTY);
}

void UserMm::map(VirtAddr va, uint64_t size, unsigned prot) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
  const uint64_t flags = user_pte_flags(prot, pt_.enc_mask());
  for (uint64_t off = 0; off < size; off += kPageSize) {
    const VirtAddr v = va + off;
    auto it = pages_.find(v.value);
    if (it == pages_.end()) {
      it = pages_.emplace(v.value, Page{ops_.alloc_page(), next_seq_++}).first;
      pt_.map(v, it->second.pa, kPageSize, flags, false, _PAGE_TABLE);
      it->second.none = prot == 0;
      continue;
    }
    Page& p = it->second;
    const bool dirty = dirty_of(v, p);
    // Not present, the D bit has no meaning to the CPU: the kernel keeps it aside.
    pt_.map(v, p.pa, kPageSize, flags | (dirty && prot ? _PAGE_DIRTY : 0), false, _PAGE_TABLE);
    p.none = prot == 0;
    p.dirty = dirty;
    ops_.invlpg(v);
  }
}

void UserMm::unmap(VirtAddr va, uint64_t size) {
  CBIT_ASSERT(va.page_offset() == 0 && size % kPageSize == 0);
  for (uint64_t off = 0; off < size; off += kPageSize) {
    const VirtAddr v = va + off;
    const auto it = pages_.find(v.value);
    if (it == pages_.end()) continue;
    // pte_clear(): an empty entry (the tables down to it exist, so nothing is allocated).
    pt_.map(v, GuestPhysAddr(0), kPageSize, 0, false, _PAGE_TABLE);
    ops_.invlpg(v);
    ops_.free_page(it->second.pa);
    pages_.erase(it);
  }
}

std::vector<GuestPhysAddr> UserMm::pages() const {
  std::vector<std::pair<uint64_t, GuestPhysAddr>> by_seq;
  by_seq.reserve(pages_.size());
  for (const auto& [va, p] : pages_) by_seq.emplace_back(p.seq, p.pa);
  std::sort(by_seq.begin(), by_seq.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<GuestPhysAddr> out;
  out.reserve(by_seq.size());
  for (const auto& [seq, pa] : by_seq) out.push_back(pa);
  return out;
}

}  // namespace cbit::sw::guest
