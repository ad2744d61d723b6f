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

void Tlb::insert(VirtAddr va, const TlbEntry& e) {
  CBIT_ASSERT(e.valid() && e.vpn == va.value >> e.page_shift);
  invlpg(va);  // no older entry of another page size may shadow the new one
  TlbEntry* s = slot(va, e.page_shift);
  *s = e;
  if (ntouched_ < kTouchedMax)
    touched_[ntouched_++] = s;
  else
    overflow_ = true;
}

template <typename Keep>
void Tlb::drop(Keep keep) {
  auto clear = [&](TlbEntry& e) {
    if (!keep(e)) e = TlbEntry{};
  };
  if (overflow_) {
    for (auto& e : small_) clear(e);
    for (auto& e : large_) clear(e);
    for (auto& e : huge_) clear(e);
  } else {
    for (size_t i = 0; i < ntouched_; ++i) clear(*touched_[i]);
  }
  // Entries kept (global ones) must stay findable by the next flush.
  size_t kept = 0;
  if (!overflow_) {
    for (size_t i = 0; i < ntouched_; ++i)
      if (touched_[i]->valid()) touched_[kept++] = touched_[i];
    ntouched_ = kept;
  } else {
    ntouched_ = 0;
    auto note = [&](TlbEntry& e) {
      if (!e.valid()) return;
      if (ntouched_ < kTouchedMax)
        touched_[ntouched_++] = &e;
      else
        overflow_ = true;
    };
    overflow_ = false;
    for (auto& e : small_) note(e);
    for (auto& e : large_) note(e);
    for (auto& e : huge_) note(e);
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
