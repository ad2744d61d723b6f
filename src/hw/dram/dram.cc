#include "hw/dram/dram.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "common/error.h"

namespace cbit::hw {

Dram::Dram(uint64_t size_bytes) : size_(size_bytes) { CBIT_ASSERT(size_bytes % kPageSize == 0); }

const uint8_t* Dram::page_if_present(Pfn pfn) const {
  if (pfn.value == last_pfn_) return last_page_;
  if (pfn.value == last_absent_pfn_) return nullptr;
  auto it = pages_.find(pfn.value);
  if (it == pages_.end()) {
    last_absent_pfn_ = pfn.value;
    return nullptr;
  }
  last_pfn_ = pfn.value;
  last_page_ = it->second;
  return it->second;
}

uint8_t* Dram::page_for_write(Pfn pfn) {
  if (pfn.value == last_pfn_) return last_page_;
  auto [it, inserted] = pages_.try_emplace(pfn.value, nullptr);
  if (inserted) {
    if (pfn.value == last_absent_pfn_) last_absent_pfn_ = ~0ull;
    if (slab_used_ == kSlabPages) {
      slabs_.emplace_back(kSlabPages * kPageSize);
      slab_used_ = 0;
    }
    it->second = slabs_.back().data() + slab_used_++ * kPageSize;  // zero: fresh anonymous memory
  }
  last_pfn_ = pfn.value;
  last_page_ = it->second;
  return it->second;
}

namespace {
// Splits [pa, pa+len) at page boundaries: fn(pfn, offset in the page, offset in the buffer, n).
template <typename Fn>
void for_each_page_piece(SysPhysAddr pa, size_t len, Fn&& fn) {
  size_t done = 0;
  while (done < len) {
    const uint64_t a = pa.value + done;
    const size_t off = a & (kPageSize - 1);
    const size_t n = std::min<size_t>(kPageSize - off, len - done);
    fn(Pfn(a >> kPageShift), off, done, n);
    done += n;
  }
}
}  // namespace

void Dram::read(SysPhysAddr pa, MutByteSpan out) const {
  CBIT_ASSERT(contains(pa, out.size()));
  for_each_page_piece(pa, out.size(), [&](Pfn pfn, size_t off, size_t done, size_t n) {
    const uint8_t* page = page_if_present(pfn);
    if (page)
      std::memcpy(out.data() + done, page + off, n);
    else
      std::memset(out.data() + done, 0, n);
  });
}

namespace {
bool all_zero(const uint8_t* p, size_t n) {
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}
}  // namespace

void Dram::write(SysPhysAddr pa, ByteSpan in) {
  CBIT_ASSERT(contains(pa, in.size()));
  for_each_page_piece(pa, in.size(), [&](Pfn pfn, size_t off, size_t done, size_t n) {
    const uint8_t* src = in.data() + done;
    // Zeros into a page never written: it already reads as zeros, so nothing is stored (the RMP
    // clear and other zero-fills cost no host memory). A page that holds data is written.
    if (!page_if_present(pfn) && all_zero(src, n)) return;
    std::memcpy(page_for_write(pfn) + off, src, n);
  });
}

size_t Dram::host_bytes() const {
  // Slabs, plus the hash map's nodes and buckets.
  return slabs_.size() * kSlabPages * kPageSize +
         pages_.size() * (sizeof(void*) * 2 + sizeof(uint64_t) * 2) +
         pages_.bucket_count() * sizeof(void*);
}

void Dram::for_each_touched(const std::function<void(Pfn, const uint8_t*)>& fn) const {
  std::vector<uint64_t> pfns;
  pfns.reserve(pages_.size());
  for (const auto& [pfn, _] : pages_) pfns.push_back(pfn);
  std::sort(pfns.begin(), pfns.end());
  for (uint64_t pfn : pfns) fn(Pfn(pfn), pages_.at(pfn));
}

void Dram::lose_power() {
  pages_.clear();
  slabs_.clear();
  slab_used_ = kSlabPages;
  last_pfn_ = ~0ull;
  last_page_ = nullptr;
  last_absent_pfn_ = ~0ull;
}

}  // namespace cbit::hw
