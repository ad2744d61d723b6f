// The host kernel's page allocator: hands out physical page frames from the usable ranges,
// power-of-two blocks (alloc_pages(order)), with free lists per order.
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
  uint64_t next_, end_;
  std::map<unsigned, std::vector<uint64_t>> free_;
};

}  // namespace cbit::sw::host
