#include "common/huge_block.h"

#include <sys/mman.h>

#include <new>

namespace cbit {

HugeBlock::HugeBlock(size_t bytes) : size_((bytes + kAlign - 1) & ~(kAlign - 1)) {
  if (size_ == 0) return;
  // Map one alignment more than asked and trim both ends, so the block starts on 2 MiB.
  void* raw =
      ::mmap(nullptr, size_ + kAlign, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (base + kAlign - 1) & ~(uintptr_t{kAlign} - 1);
  if (aligned > base) ::munmap(raw, aligned - base);
  const uintptr_t tail = base + size_ + kAlign - (aligned + size_);
  if (tail) ::munmap(reinterpret_cast<void*>(aligned + size_), tail);
  ::madvise(reinterpret_cast<void*>(aligned), size_, MADV_HUGEPAGE);  // advice only
  p_ = reinterpret_cast<uint8_t*>(aligned);
}

HugeBlock::~HugeBlock() {
  if (p_) ::munmap(p_, size_);
}

HugeBlock& HugeBlock::operator=(HugeBlock&& o) noexcept {
  if (this != &o) {
    if (p_) ::munmap(p_, size_);
    p_ = o.p_;
    size_ = o.size_;
    o.p_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

}  // namespace cbit
