#include "sw/host/page_alloc.h"

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
  if (start + n > end_) return std::nullopt;
  for (uint64_t p = next_; p < start; ++p) free_[0].push_back(p);  // alignment gap
  next_ = start + n;
  return Pfn(start);
}

void PageAllocator::free_pages(Pfn pfn, unsigned order) { free_[order].push_back(pfn.value); }

uint64_t PageAllocator::free_frames() const {
  uint64_t n = end_ - next_;
  for (const auto& [order, list] : free_) n += list.size() << order;
  return n;
}

}  // namespace cbit::sw::host
