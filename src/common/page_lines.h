// A 4 KiB page as 64 cache lines, for code that moves only some lines of a page through the cache
// (the GHCB between guest and hypervisor; the VMCB and VMSA at VMRUN and #VMEXIT): a mask with bit
// i for line i, and the runs of consecutive lines in it, each moved as one access.
#pragma once
#include <bit>
#include <cstdint>
#include <initializer_list>

namespace cbit {

inline constexpr uint64_t kPageLine = 64;

// The lines holding bytes [off, off + len) of the page (len > 0, off + len <= 4096).
constexpr uint64_t page_line_mask(uint64_t off, uint64_t len) {
  const uint64_t first = off / kPageLine, last = (off + len - 1) / kPageLine;
  return (last == 63 ? ~0ull : (1ull << (last + 1)) - 1) & ~((1ull << first) - 1);
}

// The lines holding the 8-byte fields at these offsets.
constexpr uint64_t page_line_mask_of_quads(std::initializer_list<uint64_t> offsets) {
  uint64_t m = 0;
  for (const uint64_t off : offsets) m |= page_line_mask(off, 8);
  return m;
}

// fn(first, count) for each run of consecutive lines in `lines`, lowest first.
template <typename Fn>
void for_each_line_run(uint64_t lines, Fn&& fn) {
  while (lines != 0) {
    const unsigned first = static_cast<unsigned>(std::countr_zero(lines));
    const unsigned n = static_cast<unsigned>(std::countr_one(lines >> first));
    fn(first, n);
    lines = first + n >= 64 ? 0 : lines & (~0ull << (first + n));
  }
}

}  // namespace cbit
