#include "tools/map/aggregate.h"

#include <map>
#include <utility>

#include "common/error.h"

namespace cbit::tools::map {

PageCell canonical(const PageCell& c) {
  const bool keyed = c.kind == PageKind::Ciphertext || c.kind == PageKind::RmpVmsa ||
                     c.kind == PageKind::RmpGuestValid || c.kind == PageKind::RmpGuestInvalid;
  return {c.kind, keyed ? c.key : 0};
}

bool same_class(const PageCell& a, const PageCell& b) {
  return a.kind == b.kind && canonical(a).key == canonical(b).key;
}

uint64_t legend_rank(const PageCell& c) {
  uint64_t group = 0;
  switch (c.kind) {
    case PageKind::Plaintext:
      group = 0;
      break;
    case PageKind::Ciphertext:
      group = c.key == 0 ? 1 : 2;
      break;
    case PageKind::Mixed:
      group = 3;
      break;
    case PageKind::Zero:
      group = 4;
      break;
    case PageKind::Untouched:
      group = 5;
      break;
    case PageKind::RmpFirmware:
      group = 6;
      break;
    case PageKind::RmpVmsa:
      group = 7;
      break;
    case PageKind::RmpGuestValid:
      group = 8;
      break;
    case PageKind::RmpGuestInvalid:
      group = 9;
      break;
  }
  return (group << 32) | canonical(c).key;
}

std::vector<ClassCount> count_classes(const std::vector<PageCell>& cells) {
  std::map<uint64_t, ClassCount> by_rank;
  for (const PageCell& c : cells) {
    ClassCount& cc = by_rank[legend_rank(c)];
    cc.cls = canonical(c);
    ++cc.pages;
  }
  std::vector<ClassCount> out;
  out.reserve(by_rank.size());
  for (auto& [rank, cc] : by_rank) out.push_back(cc);
  return out;
}

uint64_t choose_pages_per_cell(uint64_t pages, unsigned cells_per_row, unsigned cell_px,
                               uint64_t max_cells, uint64_t max_grid_px) {
  CBIT_ASSERT(cells_per_row > 0 && cell_px > 0 && max_cells > 0);
  uint64_t k = 1;
  for (;;) {
    const uint64_t cells = (pages + k - 1) / k;
    const uint64_t rows = (cells + cells_per_row - 1) / cells_per_row;
    if ((cells <= max_cells && rows * cell_px <= max_grid_px) || cells <= 1) return k;
    k *= 2;
  }
}

std::vector<PageCell> aggregate(const std::vector<PageCell>& pages, uint64_t pages_per_cell) {
  CBIT_ASSERT(pages_per_cell > 0);
  if (pages_per_cell == 1) {
    std::vector<PageCell> out;
    out.reserve(pages.size());
    for (const PageCell& c : pages) out.push_back(canonical(c));
    return out;
  }
  std::vector<PageCell> out;
  out.reserve((pages.size() + pages_per_cell - 1) / pages_per_cell);
  // (class, count) of the current block; blocks hold few distinct classes, so a short list.
  std::vector<std::pair<PageCell, uint64_t>> tally;
  for (size_t start = 0; start < pages.size(); start += pages_per_cell) {
    tally.clear();
    const size_t end = std::min<size_t>(pages.size(), start + pages_per_cell);
    for (size_t i = start; i < end; ++i) {
      bool found = false;
      for (auto& [cls, n] : tally) {
        if (same_class(cls, pages[i])) {
          ++n;
          found = true;
          break;
        }
      }
      if (!found) tally.emplace_back(canonical(pages[i]), 1);
    }
    const auto* best = &tally.front();
    for (const auto& t : tally) {
      if (t.second > best->second ||
          (t.second == best->second && legend_rank(t.first) < legend_rank(best->first)))
        best = &t;
    }
    out.push_back(best->first);
  }
  return out;
}

}  // namespace cbit::tools::map
