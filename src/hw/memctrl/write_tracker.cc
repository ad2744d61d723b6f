#include "hw/memctrl/write_tracker.h"

#include <algorithm>

namespace cbit::hw {

namespace {
uint64_t line_mask(uint64_t off, uint64_t len) {
  const uint64_t first = off / kCacheLineSize;
  const uint64_t last = (off + len - 1) / kCacheLineSize;
  const uint64_t n = last - first + 1;
  return (n >= 64 ? ~0ull : ((1ull << n) - 1)) << first;
}
}  // namespace

void WriteTracker::record_in_page(Page& p, uint64_t mask, EncTag tag) {
  if (!p.lines) {
    if (p.written == 0 || p.tag == tag || (p.written & ~mask) == 0) {
      p.tag = tag;
      p.written |= mask;
      return;
    }
    p.lines = std::make_unique<std::array<EncTag, 64>>();
    p.lines->fill(p.tag);
  }
  for (unsigned i = 0; i < 64; ++i)
    if (mask >> i & 1) (*p.lines)[i] = tag;
  p.written |= mask;
  // Collapse back to one tag when every written line agrees again.
  bool same = true;
  for (unsigned i = 0; i < 64 && same; ++i)
    if (p.written >> i & 1) same = (*p.lines)[i] == tag;
  if (same) {
    p.tag = tag;
    p.lines.reset();
  }
}

void WriteTracker::record(SysPhysAddr pa, uint64_t len, EncTag tag) {
  uint64_t done = 0;
  while (done < len) {
    const uint64_t a = pa.value + done;
    const uint64_t off = a & (kPageSize - 1);
    const uint64_t n = std::min<uint64_t>(kPageSize - off, len - done);
    const uint64_t pfn = a >> kPageShift;
    if (pfn != last_pfn_) {
      last_ = &pages_[pfn];
      last_pfn_ = pfn;
    }
    record_in_page(*last_, line_mask(off, n), tag);
    done += n;
  }
}

WriteTracker::PageSummary WriteTracker::page(Pfn pfn) const {
  auto it = pages_.find(pfn.value);
  if (it == pages_.end()) return {};
  return {true, it->second.lines != nullptr, it->second.tag};
}

}  // namespace cbit::hw
