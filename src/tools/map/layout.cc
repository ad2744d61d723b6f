#include "tools/map/layout.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "tools/map/aggregate.h"
#include "tools/map/canvas.h"

namespace cbit::tools::map {
namespace {

constexpr uint64_t kPageSize = 4096;  // the map is per 4 KiB page (APM vol. 2, 5.1)
constexpr long kMargin = 16;
constexpr long kLineGap = 6;    // between text lines
constexpr long kBlockGap = 16;  // between title block, grid and legend
constexpr long kTickLen = 5;
constexpr size_t kMaxTitleChars = 100;

std::string legend_label(const ClassCount& c) {
  switch (c.cls.kind) {
    case PageKind::Plaintext:
      return "plaintext: readable as is";
    case PageKind::Ciphertext:
      return c.cls.key == 0 ? "ciphertext, key 0 (host SME/TSME)"
                            : fmt::format("ciphertext, ASID {}", c.cls.key);
    case PageKind::Mixed:
      return "mixed: several keys, or plain+encrypted";
    case PageKind::Zero:
      return "zero bytes";
    case PageKind::Untouched:
      return "untouched (never written, reads 0)";
    case PageKind::RmpFirmware:
      return "RMP: firmware-owned (the RMP, guest contexts)";
    case PageKind::RmpVmsa:
      return fmt::format("RMP: VMSA page, ASID {}", c.cls.key);
    case PageKind::RmpGuestValid:
      return fmt::format("RMP: guest-valid, ASID {}", c.cls.key);
    case PageKind::RmpGuestInvalid:
      return fmt::format("RMP: guest-invalid (not validated), ASID {}", c.cls.key);
  }
  return "?";
}

unsigned hex_digits(uint64_t v) {
  unsigned d = 1;
  while (v >>= 4) ++d;
  return d;
}

}  // namespace

std::string hex_address(uint64_t addr, unsigned min_digits) {
  return fmt::format("0x{:0{}x}", addr, min_digits);
}

std::string page_count(uint64_t pages) {
  std::string digits = std::to_string(pages);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out + (pages == 1 ? " page" : " pages");
}

std::string byte_size(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  unsigned u = 0;
  uint64_t whole = bytes, div = 1;
  while (whole >= 1024 && u + 1 < std::size(kUnits)) {
    whole /= 1024;
    div *= 1024;
    ++u;
  }
  const uint64_t tenths = (bytes % div) * 10 / div;
  if (tenths == 0) return fmt::format("{} {}", whole, kUnits[u]);
  return fmt::format("{}.{} {}", whole, tenths, kUnits[u]);
}

Rect MapLayout::cell_rect(size_t i) const {
  const long col = long(i % cells_per_row), row = long(i / cells_per_row);
  return {grid_x + col * long(cell_px), grid_y + row * long(cell_px), long(cell_px - gap_px),
          long(cell_px - gap_px)};
}

MapLayout plan_layout(const MapInput& in, const RenderOptions& opt) {
  if (opt.pages_per_row == 0) throw InputError("memory map: pages per row must be at least 1");
  if (opt.cell_px == 0 || opt.cell_px > kMaxCellPx)
    throw InputError(
        fmt::format("memory map: cell size {} px is not in 1..{}", opt.cell_px, kMaxCellPx));
  if (uint64_t(opt.pages_per_row) * opt.cell_px > kMaxWidthPx)
    throw InputError(fmt::format("memory map: {} pages per row of {} px is wider than {} px",
                                 opt.pages_per_row, opt.cell_px, kMaxWidthPx));

  MapLayout L;
  const unsigned S = L.text_scale;
  const long line_h = long(text_height(S));
  L.cells_per_row = opt.pages_per_row;
  L.cell_px = opt.cell_px;
  L.gap_px = opt.cell_px >= 4 ? 1 : 0;
  L.pages = in.cells.size();

  // Legend first: its height is what the grid may not take from the ~2000 px.
  const std::vector<ClassCount> classes = count_classes(in.cells);
  auto is_guest = [](const PageCell& c) { return c.kind == PageKind::Ciphertext && c.key != 0; };
  const size_t guests = size_t(std::count_if(classes.begin(), classes.end(),
                                             [&](const ClassCount& c) { return is_guest(c.cls); }));
  // Past kMaxAsidEntries guest keys, the last line stands for all the rest ("N more ASIDs");
  // classes come in legend order, so guest keys are consecutive and the line lands after them.
  const size_t listed = guests > kMaxAsidEntries ? kMaxAsidEntries - 1 : guests;
  std::vector<LegendEntry> legend;
  long label_w = 0, count_w = 0;
  auto add_entry = [&](const PageCell& cls, uint32_t more, uint64_t pages, std::string label) {
    LegendEntry e;
    e.cls = cls;
    e.more_keys = more;
    e.pages = pages;
    e.label.text = std::move(label);
    e.count.text = page_count(pages);
    label_w = std::max<long>(label_w, text_width(e.label.text, S));
    count_w = std::max<long>(count_w, text_width(e.count.text, S));
    legend.push_back(std::move(e));
  };
  size_t seen = 0;
  uint64_t more_pages = 0;
  PageCell first_more;
  for (const ClassCount& c : classes) {
    if (!is_guest(c.cls) || seen++ < listed) {
      add_entry(c.cls, 0, c.pages, legend_label(c));
      continue;
    }
    if (seen == listed + 1) first_more = c.cls;
    more_pages += c.pages;
    if (seen == guests) {
      const auto n = uint32_t(guests - listed);
      add_entry(first_more, n, more_pages, fmt::format("ciphertext, {} more ASIDs", n));
    }
  }

  const long swatch = line_h;
  const long col_w = swatch + 10 + label_w + 24 + count_w;
  const long col_gap = 40;
  const long entry_h = line_h + 8;

  // Title block.
  std::string title = in.title.empty() ? std::string("memory map") : in.title;
  if (title.size() > kMaxTitleChars) title = title.substr(0, kMaxTitleChars - 3) + "...";
  L.title = {title, kMargin, kMargin};

  // Grid geometry: decide aggregation with the height left after title, subtitle and legend
  // (legend estimated as one column; wider pictures only get shorter).
  const long header_h = kMargin + line_h + kLineGap + 2 * (line_h + kLineGap) + kBlockGap;
  const long legend_h_one_col = kBlockGap + line_h + kLineGap + long(legend.size()) * entry_h;
  const long grid_budget =
      std::max<long>(200, long(kMaxHeightPx) - header_h - legend_h_one_col - kMargin);
  L.pages_per_cell =
      choose_pages_per_cell(L.pages, L.cells_per_row, L.cell_px, kMaxCells, uint64_t(grid_budget));
  L.cells = aggregate(in.cells, L.pages_per_cell);
  L.rows = unsigned((L.cells.size() + L.cells_per_row - 1) / L.cells_per_row);

  // Subtitle: the address range and the scale of a cell.
  const uint64_t first_addr = in.first_pfn * kPageSize;
  const uint64_t row_bytes = uint64_t(L.cells_per_row) * L.pages_per_cell * kPageSize;
  const uint64_t last_row_addr = first_addr + (L.rows ? L.rows - 1 : 0) * row_bytes;
  const unsigned digits = std::max(8u, hex_digits(last_row_addr));
  if (L.pages == 0) {
    L.subtitle.push_back({"no pages", 0, 0});
  } else {
    L.subtitle.push_back(
        {fmt::format("{} ({}) from {}", page_count(L.pages), byte_size(L.pages * kPageSize),
                     hex_address(first_addr, digits)),
         0, 0});
    L.subtitle.push_back(
        {L.pages_per_cell == 1
             ? fmt::format("1 cell = 1 page, {} per row", byte_size(row_bytes))
             : fmt::format("1 cell = {} pages ({}, majority), {} per row", L.pages_per_cell,
                           byte_size(L.pages_per_cell * kPageSize), byte_size(row_bytes)),
         0, 0});
  }
  long y = kMargin + line_h + kLineGap + 4;
  for (TextLine& t : L.subtitle) {
    t.x = kMargin;
    t.y = y;
    y += line_h + kLineGap;
  }
  y += kBlockGap - kLineGap;

  // Row labels: every `every` rows, a power of two so labelled addresses stay round.
  const long label_w_px = long(text_width(hex_address(last_row_addr, digits), S));
  L.grid_x = kMargin + label_w_px + kTickLen + 4;
  L.grid_y = y;
  unsigned every = 1;
  while (long(every * L.cell_px) < line_h + 4) every *= 2;
  for (unsigned r = 0; r < L.rows; r += every) {
    const long ry = L.grid_y + long(r) * long(L.cell_px);
    L.row_labels.push_back({hex_address(first_addr + r * row_bytes, digits), kMargin, ry});
    L.row_ticks.push_back({L.grid_x - kTickLen - 2, ry, kTickLen, 1});
  }
  const long grid_w = long(L.cells_per_row) * long(L.cell_px);
  long grid_bottom = L.grid_y + long(L.rows) * long(L.cell_px);
  if (!L.row_labels.empty()) grid_bottom = std::max(grid_bottom, L.row_labels.back().y + line_h);

  // Width: the widest of grid (with labels), title, subtitle and one legend column.
  long width = L.grid_x + grid_w + kMargin;
  width = std::max<long>(width, 2 * kMargin + text_width(L.title.text, S));
  for (const TextLine& t : L.subtitle)
    width = std::max<long>(width, 2 * kMargin + text_width(t.text, S));
  width = std::max<long>(width, 2 * kMargin + col_w);

  // Legend: heading, then entries column by column.
  y = grid_bottom + kBlockGap + 4;
  L.legend_heading = {
      legend.empty() ? "nothing to show" : "what reading the DRAM chips shows:", kMargin, y};
  width = std::max<long>(width, 2 * kMargin + text_width(L.legend_heading.text, S));
  y += line_h + kLineGap + 4;
  const long cols = std::max<long>(1, (width - 2 * kMargin + col_gap) / (col_w + col_gap));
  const long per_col = (long(legend.size()) + cols - 1) / std::max<long>(cols, 1);
  for (size_t i = 0; i < legend.size(); ++i) {
    LegendEntry& e = legend[i];
    const long c = long(i) / std::max<long>(per_col, 1), r = long(i) % std::max<long>(per_col, 1);
    const long ex = kMargin + c * (col_w + col_gap), ey = y + r * entry_h;
    e.swatch = {ex, ey, swatch, swatch};
    e.label.x = ex + swatch + 10;
    e.label.y = ey;
    e.count.x = ex + col_w - long(text_width(e.count.text, S));
    e.count.y = ey;
  }
  L.legend = std::move(legend);
  const long bottom = y + per_col * entry_h + kMargin - 8;

  L.width = unsigned(width);
  L.height = unsigned(std::max<long>(bottom, L.legend_heading.y + line_h + kMargin));
  return L;
}

}  // namespace cbit::tools::map
