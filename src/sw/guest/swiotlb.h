// The bookkeeping of the guest's bounce-buffer pool (Linux kernel/dma/swiotlb.c): 2 KiB slots
// (IO_TLB_SIZE) over a contiguous, shared pool; a mapping takes consecutive slots, searched
// from a rotating index (io_tlb_area.index) so successive mappings land in different slots.
// Unmapping frees the slots but leaves their bytes in place, as Linux does: that is why
// seed 004's "My secret is %d" stays visible in the shared pool after the program was read.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "common/addr.h"

namespace cbit::sw::guest {

inline constexpr uint64_t IO_TLB_SHIFT = 11;
inline constexpr uint64_t IO_TLB_SIZE = 1ull << IO_TLB_SHIFT;
inline constexpr uint64_t IO_TLB_SEGSIZE = 128;  // the largest mapping, in slots (256 KiB)

class SwiotlbPool {
 public:
  SwiotlbPool(GuestPhysAddr start, uint64_t bytes);

  GuestPhysAddr start() const { return start_; }
  uint64_t bytes() const { return nslabs_ * IO_TLB_SIZE; }
  uint64_t nslabs() const { return nslabs_; }
  uint64_t used() const;
  bool contains(GuestPhysAddr a) const { return a >= start_ && a.value < start_.value + bytes(); }

  // swiotlb_find_slots(): the first slot of `size` bytes' worth of free slots, nullopt when the
  // pool is full or the mapping is larger than IO_TLB_SEGSIZE slots.
  std::optional<GuestPhysAddr> map(uint64_t size);
  // swiotlb_release_slots().
  void unmap(GuestPhysAddr tlb_addr, uint64_t size);

 private:
  GuestPhysAddr start_;
  uint64_t nslabs_;
  uint64_t index_ = 0;
  std::vector<bool> used_;
};

}  // namespace cbit::sw::guest
