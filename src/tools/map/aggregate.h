// Page-class bookkeeping for the map: the canonical form of a class, the legend order, counts of
// pages per class, and folding several pages into one cell when a machine has too many pages
// for a readable picture.
#pragma once
#include <cstdint>
#include <vector>

#include "tools/map/page_class.h"

namespace cbit::tools::map {

// A class with the key cleared unless it is ciphertext, so equal classes compare equal.
PageCell canonical(const PageCell& c);
bool same_class(const PageCell& a, const PageCell& b);

// Legend order, most telling first: plaintext, host-key ciphertext, guest ciphertext by ASID,
// mixed, zero, untouched. Also breaks ties when a cell covers several pages.
uint64_t legend_rank(const PageCell& c);

struct ClassCount {
  PageCell cls;
  uint64_t pages = 0;
};

// Every class present in cells with its page count, in legend order.
std::vector<ClassCount> count_classes(const std::vector<PageCell>& cells);

// The smallest power of two k such that pages / k cells fit in max_cells and their rows
// (cells_per_row per row, cell_px tall) fit in max_grid_px; at least 1.
uint64_t choose_pages_per_cell(uint64_t pages, unsigned cells_per_row, unsigned cell_px,
                               uint64_t max_cells, uint64_t max_grid_px);

// One cell per pages_per_cell consecutive pages (the last one may cover fewer), showing the class
// most of those pages have; a tie goes to the class earlier in legend order, so a block with as
// much plaintext as ciphertext shows as plaintext.
std::vector<PageCell> aggregate(const std::vector<PageCell>& pages, uint64_t pages_per_cell);

}  // namespace cbit::tools::map
