// The host kernel's page allocator: hands out physical page frames from the usable ranges,
// power-of-two blocks (alloc_pages(order)), with free lists per order. Blocks come from a bump
// pointer first; when the frames above it do not suffice, a larger free block is split or free
// frames are merged into an aligned block (the buddy system's work, done only then).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/addr.h"

namespace cbit::sw::host {

class PageAllocator {
 public:
  // Frames in [first, last) are managed.
  PageAllocator(Pfn first, Pfn last) : next_(first.value), end_(last.value) {}
  std::optional<Pfn> alloc_pages(unsigned order = 0);
  void free_pages(Pfn pfn, unsigned order = 0);
  uint64_t free_frames() const;

 private:
  std::optional<Pfn> from_free_lists(unsigned order);
  uint64_t next_, end_;
  std::map<unsigned, std::vector<uint64_t>> free_;
};

}  // namespace cbit::sw::host
