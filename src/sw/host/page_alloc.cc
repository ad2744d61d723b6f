#include "sw/host/page_alloc.h"

#include <algorithm>

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
  std::vector<std::pair<uint64_t, unsigned>> frames;  // (pfn, the order of the block it was in)
  for (const auto& [o, list] : free_)
    if (o < order)
      for (uint64_t b : list)
        for (uint64_t p = b; p < b + (1ull << o); ++p) frames.push_back({p, o});
  std::sort(frames.begin(), frames.end());
  for (size_t i = 0; i < frames.size();) {
    const uint64_t start = frames[i].first;
    if (start % n != 0 || i + n > frames.size() || frames[i + n - 1].first != start + n - 1) {
      ++i;
      continue;
    }
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
