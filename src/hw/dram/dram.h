// DRAM: the chips' contents, exactly as stored (ciphertext for encrypted pages).
// Sparse: any size up to terabytes of address space, host memory spent only on touched pages.
// Untouched pages read as zero. Contents survive a reset unless power is lost (cold-boot model).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "common/huge_block.h"

namespace cbit::hw {

class Dram {
 public:
  explicit Dram(uint64_t size_bytes);
  Dram(const Dram&) = delete;
  Dram& operator=(const Dram&) = delete;

  uint64_t size() const { return size_; }
  bool contains(SysPhysAddr pa, uint64_t len) const {
    return pa.value <= size_ && len <= size_ - pa.value;
  }

  // Raw access; the range must lie inside the DRAM. Reads never allocate, nor does a write of
  // zeros into a page never written (it reads as zeros already); zeros written over a page that
  // held data replace that data, as in the chips.
  void read(SysPhysAddr pa, MutByteSpan out) const;
  void write(SysPhysAddr pa, ByteSpan in);

  // The page's bytes, or nullptr if it was never written (reads as zero).
  const uint8_t* page_if_present(Pfn pfn) const;
  // The page's bytes, allocated (zeroed) on first use.
  uint8_t* page_for_write(Pfn pfn);

  size_t touched_pages() const { return pages_.size(); }
  // Host memory this DRAM uses, in bytes (page data plus bookkeeping, approximately).
  size_t host_bytes() const;
  // Visits touched pages in ascending address order.
  void for_each_touched(const std::function<void(Pfn, const uint8_t*)>& fn) const;
  // Power loss: every cell forgets (cold boot with enough delay, or a normal power-off).
  void lose_power();

 private:
  static constexpr size_t kSlabPages = 512;  // pages come from 2 MiB slabs
  uint64_t size_;
  std::unordered_map<uint64_t, uint8_t*> pages_;
  // 2 MiB slabs, 2 MiB-aligned and advised for transparent huge pages (common/huge_block.h): one
  // page fault per slab instead of 512 (the launch benchmark touches megabytes at start-up).
  std::vector<HugeBlock> slabs_;
  size_t slab_used_ = kSlabPages;
  // One-entry lookup cache: consecutive accesses mostly hit the same page.
  mutable uint64_t last_pfn_ = ~0ull;
  mutable uint8_t* last_page_ = nullptr;
  // And the last page found absent (zero-fills and reads of untouched memory run page by page).
  mutable uint64_t last_absent_pfn_ = ~0ull;
};

}  // namespace cbit::hw
