// Where everything goes in the memory-map picture: title and subtitle lines, the grid of cells
// (aggregated when the machine has too many pages), the row address labels on the left and the
// legend below. Kept apart from the drawing so tests can find the cells and swatches they check.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tools/map/page_class.h"
#include "tools/map/render_png.h"

namespace cbit::tools::map {

struct Rect {
  long x = 0, y = 0, w = 0, h = 0;
};

struct TextLine {
  std::string text;
  long x = 0, y = 0;
};

struct LegendEntry {
  PageCell cls;            // for a "more ASIDs" entry: the first of them
  uint32_t more_keys = 0;  // > 0: this entry stands for this many further ASIDs
  uint64_t pages = 0;
  Rect swatch;
  TextLine label;
  TextLine count;  // right-aligned in its column
};

struct MapLayout {
  unsigned width = 0, height = 0;
  unsigned text_scale = 2;
  TextLine title;
  std::vector<TextLine> subtitle;
  uint64_t pages = 0;           // pages in the input
  uint64_t pages_per_cell = 1;  // > 1 when aggregated
  std::vector<PageCell> cells;  // one per grid cell, canonical classes
  unsigned cells_per_row = 0, cell_px = 0, gap_px = 0, rows = 0;
  long grid_x = 0, grid_y = 0;
  std::vector<TextLine> row_labels;  // physical address of the row's first page
  std::vector<Rect> row_ticks;
  TextLine legend_heading;
  std::vector<LegendEntry> legend;

  // The coloured part of cell i (its pitch is cell_px; the last gap_px are the gap).
  Rect cell_rect(size_t i) const;
};

// Picture limits: about 2000 px tall and at most 64Ki cells, whatever the machine's size.
inline constexpr unsigned kMaxHeightPx = 2000;
inline constexpr uint64_t kMaxCells = 65536;
inline constexpr unsigned kMaxWidthPx = 8192;
inline constexpr unsigned kMaxCellPx = 64;
inline constexpr size_t kMaxAsidEntries = 12;  // legend lines for guest keys before "N more"

// Throws InputError for options that cannot give a picture (zero sizes, too wide).
MapLayout plan_layout(const MapInput& in, const RenderOptions& opt);

// "0x" and at least 8 hex digits, e.g. 0x00100000.
std::string hex_address(uint64_t addr, unsigned min_digits = 8);
// "1 page", "12,345 pages".
std::string page_count(uint64_t pages);
// "4 KiB", "2 MiB", "1.5 GiB".
std::string byte_size(uint64_t bytes);

}  // namespace cbit::tools::map
