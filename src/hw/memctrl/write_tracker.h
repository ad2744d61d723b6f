// Debug-side bookkeeping of the memory controller: for every page, under which key slot (or
// none) each line was last written. It records slot numbers, never key bytes, and is not
// visible to simulated software or to attack tools; `cbit map` and the tests use it to say
// what an attacker is looking at.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "common/addr.h"
#include "hw/mem_port.h"

namespace cbit::hw {

class WriteTracker {
 public:
  void record(SysPhysAddr pa, uint64_t len, EncTag tag);

  struct PageSummary {
    bool written = false;  // any line written through the memory controller
    bool mixed = false;    // lines under more than one tag
    EncTag tag;            // the tag of every written line, when not mixed
  };
  PageSummary page(Pfn pfn) const;
  // Every page with a recorded write, in no particular order.
  template <typename Fn>
  void for_each_page(Fn&& fn) const {
    for (const auto& [pfn, p] : pages_) fn(Pfn(pfn), PageSummary{true, p.lines != nullptr, p.tag});
  }
  void clear() {
    pages_.clear();
    last_pfn_ = ~0ull;
    last_ = nullptr;
  }

 private:
  struct Page {
    EncTag tag;
    uint64_t written = 0;                           // one bit per 64-byte line
    std::unique_ptr<std::array<EncTag, 64>> lines;  // only once tags differ within the page
  };
  void record_in_page(Page& p, uint64_t line_mask, EncTag tag);
  std::unordered_map<uint64_t, Page> pages_;
  // Consecutive writes mostly hit one page; node references stay valid across rehashing.
  uint64_t last_pfn_ = ~0ull;
  Page* last_ = nullptr;
};

}  // namespace cbit::hw
