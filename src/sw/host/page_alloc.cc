#include "sw/host/page_alloc.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace cbit::sw::host {

std::optional<Pfn> PageAllocator::alloc_pages(unsigned order) {
  auto& list = free_[order];
  if (!list.empty()) {
    const uint64_t pfn = list.back();
    list.pop_back();
    return Pfn(pfn);
  }
  const uint64_t n = 1ull << order;
  const uint64_t start = (next_ + n - 1) & ~(n - 1);  // naturally aligned, as the buddy system
  if (start + n > end_) return from_free_lists(order);
  for (uint64_t p = next_; p < start; ++p) free_[0].push_back(p);  // alignment gap
  next_ = start + n;
  return Pfn(start);
}

// The buddy allocator's splitting and merging, on demand: a free block of a higher order split,
// or 2^order naturally aligned frames that are all free in the lower orders' lists (the
// alignment gaps the bump pointer left, blocks given back) merged. Only reached when the frames
// above the bump pointer do not suffice, so what earlier allocations got is unchanged.
std::optional<Pfn> PageAllocator::from_free_lists(unsigned order) {
  const uint64_t n = 1ull << order;
  for (auto& [o, list] : free_) {
    if (o <= order || list.empty()) continue;
    const uint64_t pfn = list.back();
    list.pop_back();
    for (uint64_t p = pfn + n; p < pfn + (1ull << o); p += n) free_[order].push_back(p);
    return Pfn(pfn);
  }
  // The lowest naturally aligned run of n frames all free in the lower orders' lists, found on a
  // bitmap of those frames (one bit per frame between the lowest and highest free one) rather
  // than a sorted list of every frame: the alignment gap of a large block leaves tens of
  // thousands of single frames, and each vCPU's order-1 and order-2 pages come through here.
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& [o, list] : free_)
    if (o < order)
      for (uint64_t b : list) lo = std::min(lo, b), hi = std::max<uint64_t>(hi, b + (1ull << o));
  if (lo >= hi) return std::nullopt;
  lo &= ~(n - 1);
  std::vector<uint64_t> bits((hi - lo + 63) / 64 + 1, 0);
  for (const auto& [o, list] : free_)
    if (o < order)
      for (uint64_t b : list)
        for (uint64_t p = b - lo; p < b - lo + (1ull << o); ++p) bits[p / 64] |= 1ull << (p % 64);
  // n is a power of two and lo is n-aligned: a run below 64 frames lies in one word, a longer
  // one is whole words.
  for (uint64_t start = lo; start + n <= hi; start += n) {
    const uint64_t at = start - lo;
    bool free_run = true;
    if (n < 64) {
      const uint64_t mask = ((1ull << n) - 1) << (at % 64);
      free_run = (bits[at / 64] & mask) == mask;
    } else {
      for (uint64_t w = at / 64; w < (at + n) / 64 && free_run; ++w) free_run = bits[w] == ~0ull;
    }
    if (!free_run) continue;
    // Every block inside [start, start + n) leaves its list (blocks are naturally aligned, so
    // none straddles the range).
    for (auto& [o, list] : free_)
      if (o < order)
        list.erase(std::remove_if(list.begin(), list.end(),
                                  [&](uint64_t b) { return b >= start && b < start + n; }),
                   list.end());
    return Pfn(start);
  }
  return std::nullopt;
}

void PageAllocator::free_pages(Pfn pfn, unsigned order) { free_[order].push_back(pfn.value); }

uint64_t PageAllocator::free_frames() const {
  uint64_t n = end_ - next_;
  for (const auto& [order, list] : free_) n += list.size() << order;
  return n;
}

}  // namespace cbit::sw::host
