#include "attacks/cold_boot.h"

#include <algorithm>

#include "common/error.h"
#include "common/output_file.h"
#include "common/trace.h"

namespace cbit::attacks {

namespace {
size_t longest(const std::vector<std::string>& needles) {
  size_t n = 0;
  for (const auto& s : needles) n = std::max(n, s.size());
  return n;
}
}  // namespace

AttackReport cold_boot(const hw::RawPhysicalView& view, const std::vector<std::string>& needles) {
  trace::Span span(trace::track::kAttacker, "attack", "cold boot: read every DRAM cell");
  AttackReport r{"cold-boot", "", 0, 0, {}};
  const size_t overlap = longest(needles) ? longest(needles) - 1 : 0;
  // Runs of contiguous touched pages are searched with the tail of the previous page carried
  // over, so a secret that straddles two pages is still found, and found once.
  Bytes window;
  uint64_t window_base = 0, next_pfn = ~0ull;
  view.for_each_dram_page([&](Pfn pfn, ByteSpan page) {
    ++r.pages_seen;
    r.bytes_seen += page.size();
    if (pfn.value != next_pfn) window.clear();
    const size_t carried = window.size();
    window.insert(window.end(), page.begin(), page.end());
    window_base = pfn.addr().value - carried;
    AttackReport part;
    search_into(part, window_base, window, needles);
    for (auto& h : part.hits)
      if (h.address + h.needle.size() > pfn.addr().value) r.hits.push_back(h);  // not seen before
    if (window.size() > overlap)
      window.erase(window.begin(), window.end() - static_cast<long>(overlap));
    next_pfn = pfn.value + 1;
  });
  r.summary = std::to_string(r.pages_seen) + " pages read from the DIMMs, " +
              std::to_string(r.hits.size()) + " secret hit(s)";
  span.end({{"pages", r.pages_seen}, {"hits", r.hits.size()}});
  return r;
}

void write_cold_boot_image(const hw::RawPhysicalView& view, const std::string& path) {
  trace::Span span(trace::track::kAttacker, "attack", "cold boot: write the DRAM image");
  OutputFile out(path, 0600);  // a memory image: the owner's only
  // Pages come in ascending order, as a stream needs; a temporary keeps the holes sparse.
  view.for_each_dram_page([&](Pfn pfn, ByteSpan page) { out.write_at(pfn.addr().value, page); });
  out.extend_to(view.dram_size());
  out.commit();
}

}  // namespace cbit::attacks
