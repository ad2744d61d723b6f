#include "hw/cpu/tlb.h"

#include "common/error.h"

namespace cbit::hw {

TlbEntry* Tlb::slot(VirtAddr va, unsigned shift) {
  const uint64_t vpn = va.value >> shift;
  switch (shift) {
    case 12:
      return &small_[vpn % k4K];
    case 21:
      return &large_[vpn % k2M];
    case 30:
      return &huge_[vpn % k1G];
  }
  CBIT_ASSERT(!"bad page shift");
  return nullptr;
}

const TlbEntry* Tlb::lookup(VirtAddr va) {
  for (unsigned shift : {12u, 21u, 30u}) {
    TlbEntry* e = slot(va, shift);
    if (e->page_shift == shift && e->vpn == va.value >> shift && live(*e)) {
      ++stats_.hits;
      return e;
    }
  }
  ++stats_.misses;
  return nullptr;
}

void Tlb::insert(VirtAddr va, const TlbEntry& e) {
  CBIT_ASSERT(e.valid() && e.vpn == va.value >> e.page_shift);
  invlpg(va);  // no older entry of another page size may shadow the new one
  TlbEntry* s = slot(va, e.page_shift);
  *s = e;
  s->epoch = epoch_;
}

void Tlb::invlpg(VirtAddr va) {
  for (unsigned shift : {12u, 21u, 30u}) {
    TlbEntry* e = slot(va, shift);
    if (e->page_shift == shift && e->vpn == va.value >> shift) *e = TlbEntry{};
  }
}

void Tlb::flush_non_global() {
  ++stats_.flushes;
  non_global_from_ = ++epoch_;
}

void Tlb::flush_all() {
  ++stats_.flushes;
  all_from_ = non_global_from_ = ++epoch_;
}

size_t Tlb::valid_entries() const {
  size_t n = 0;
  for (const auto& e : small_) n += live(e);
  for (const auto& e : large_) n += live(e);
  for (const auto& e : huge_) n += live(e);
  return n;
}

}  // namespace cbit::hw
