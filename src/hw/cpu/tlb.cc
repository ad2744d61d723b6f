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
    if (e->page_shift == shift && e->vpn == va.value >> shift) {
      ++stats_.hits;
      return e;
    }
  }
  ++stats_.misses;
  return nullptr;
}

TlbEntry& Tlb::at(uint16_t i) {
  if (i < k4K) return small_[i];
  if (i < k4K + k2M) return large_[i - k4K];
  return huge_[i - k4K - k2M];
}

void Tlb::insert(VirtAddr va, const TlbEntry& e) {
  CBIT_ASSERT(e.valid() && e.vpn == va.value >> e.page_shift);
  invlpg(va);  // no older entry of another page size may shadow the new one
  TlbEntry* s = slot(va, e.page_shift);
  *s = e;
  const size_t i = e.page_shift == 12   ? static_cast<size_t>(s - small_.data())
                   : e.page_shift == 21 ? k4K + static_cast<size_t>(s - large_.data())
                                        : k4K + k2M + static_cast<size_t>(s - huge_.data());
  if (ntouched_ < kTouchedMax)
    touched_[ntouched_++] = static_cast<uint16_t>(i);
  else
    overflow_ = true;
}

template <typename Keep>
void Tlb::drop(Keep keep) {
  auto clear = [&](TlbEntry& e) {
    if (!keep(e)) e = TlbEntry{};
  };
  if (!overflow_) {
    // Entries kept (global ones) stay listed for the next flush.
    size_t kept = 0;
    for (size_t n = 0; n < ntouched_; ++n) {
      TlbEntry& e = at(touched_[n]);
      clear(e);
      if (e.valid()) touched_[kept++] = touched_[n];
    }
    ntouched_ = kept;
    return;
  }
  for (auto& e : small_) clear(e);
  for (auto& e : large_) clear(e);
  for (auto& e : huge_) clear(e);
  ntouched_ = 0;
  overflow_ = false;
  for (uint16_t i = 0; i < k4K + k2M + k1G; ++i) {
    if (!at(i).valid()) continue;
    if (ntouched_ < kTouchedMax)
      touched_[ntouched_++] = i;
    else
      overflow_ = true;
  }
}

void Tlb::invlpg(VirtAddr va) {
  for (unsigned shift : {12u, 21u, 30u}) {
    TlbEntry* e = slot(va, shift);
    if (e->page_shift == shift && e->vpn == va.value >> shift) *e = TlbEntry{};
  }
}

void Tlb::flush_non_global() {
  ++stats_.flushes;
  drop([](const TlbEntry& e) { return e.valid() && e.global; });
}

void Tlb::flush_all() {
  ++stats_.flushes;
  drop([](const TlbEntry&) { return false; });
}

size_t Tlb::valid_entries() const {
  size_t n = 0;
  for (const auto& e : small_) n += e.valid();
  for (const auto& e : large_) n += e.valid();
  for (const auto& e : huge_) n += e.valid();
  return n;
}

}  // namespace cbit::hw
