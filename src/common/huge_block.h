// Zeroed anonymous host memory in 2 MiB-aligned blocks advised for transparent huge pages
// (mmap + madvise(MADV_HUGEPAGE), Linux Documentation/admin-guide/mm/transhuge.rst).
//
// For the model's big arrays whose pages are all touched sooner or later (DRAM slabs, the
// cache's tags and line data): with THP the first touch of each 2 MiB is one page fault instead
// of 512 (measured on the build host, a 2-core EPYC VM: 8 MiB first touched in 0.8 ms with huge
// pages, 3.5 ms with 4 KiB ones). Without THP (disabled, or no huge page free) the kernel falls
// back to 4 KiB pages: the memory is the same, only slower to fault in. The contents start as
// zeros (fresh anonymous memory); nothing is written at construction.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cbit {

class HugeBlock {
 public:
  static constexpr size_t kAlign = size_t{2} << 20;

  HugeBlock() = default;
  // `bytes` rounded up to whole 2 MiB; throws std::bad_alloc when the host refuses.
  explicit HugeBlock(size_t bytes);
  ~HugeBlock();
  HugeBlock(HugeBlock&& o) noexcept : p_(o.p_), size_(o.size_) {
    o.p_ = nullptr;
    o.size_ = 0;
  }
  HugeBlock& operator=(HugeBlock&& o) noexcept;
  HugeBlock(const HugeBlock&) = delete;
  HugeBlock& operator=(const HugeBlock&) = delete;

  uint8_t* data() const { return p_; }
  size_t size() const { return size_; }

 private:
  uint8_t* p_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cbit
