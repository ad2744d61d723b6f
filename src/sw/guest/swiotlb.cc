#include "sw/guest/swiotlb.h"

#include <algorithm>

#include "common/error.h"

namespace cbit::sw::guest {

SwiotlbPool::SwiotlbPool(GuestPhysAddr start, uint64_t bytes)
    : start_(start), nslabs_(bytes / IO_TLB_SIZE), used_(nslabs_, false) {}

uint64_t SwiotlbPool::used() const {
  return static_cast<uint64_t>(std::count(used_.begin(), used_.end(), true));
}

std::optional<GuestPhysAddr> SwiotlbPool::map(uint64_t size) {
  const uint64_t need = std::max<uint64_t>(1, (size + IO_TLB_SIZE - 1) / IO_TLB_SIZE);
  if (need > IO_TLB_SEGSIZE || need > nslabs_) return std::nullopt;
  for (uint64_t tried = 0; tried < nslabs_; ++tried) {
    uint64_t i = (index_ + tried) % nslabs_;
    if (i + need > nslabs_) continue;  // a mapping does not wrap around the pool's end
    const auto first = used_.begin() + static_cast<long>(i);
    if (std::none_of(first, first + static_cast<long>(need), [](bool u) { return u; })) {
      std::fill_n(first, need, true);
      index_ = (i + need) % nslabs_;
      return start_ + i * IO_TLB_SIZE;
    }
  }
  return std::nullopt;
}

void SwiotlbPool::unmap(GuestPhysAddr tlb_addr, uint64_t size) {
  CBIT_ASSERT(contains(tlb_addr) && (tlb_addr.value - start_.value) % IO_TLB_SIZE == 0);
  const uint64_t first = (tlb_addr.value - start_.value) / IO_TLB_SIZE;
  const uint64_t n = std::max<uint64_t>(1, (size + IO_TLB_SIZE - 1) / IO_TLB_SIZE);
  CBIT_ASSERT(first + n <= nslabs_);
  std::fill_n(used_.begin() + static_cast<long>(first), n, false);
}

}  // namespace cbit::sw::guest
