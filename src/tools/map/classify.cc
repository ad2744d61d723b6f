#include "tools/map/classify.h"

#include <algorithm>

namespace cbit::tools::map {

MapInput classify_machine(hw::Machine& m, std::string title) {
  MapInput in;
  in.title = std::move(title);
  in.first_pfn = 0;
  const uint64_t pages = m.dram().size() >> kPageShift;
  in.cells.resize(pages);
  const auto& tracker = m.memctrl().write_tracker();
  m.dram().for_each_touched([&](Pfn pfn, const uint8_t* data) {
    if (pfn.value >= pages) return;
    PageCell& c = in.cells[pfn.value];
    const auto s = tracker.page(pfn);
    const bool all_zero = std::all_of(data, data + kPageSize, [](uint8_t b) { return b == 0; });
    if (s.mixed) {
      c.kind = PageKind::Mixed;
    } else if (s.written && s.tag.encrypted) {
      c.kind = PageKind::Ciphertext;
      c.key = s.tag.key.value;
    } else {
      c.kind = all_zero ? PageKind::Zero : PageKind::Plaintext;
    }
  });
  return in;
}

}  // namespace cbit::tools::map
