// The memory-map renderer: writes a real PNG with libpng, reads it back with libpng and checks
// pixels where the layout puts cells and legend swatches.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "tools/map/aggregate.h"
#include "tools/map/font5x7.h"
#include "tools/map/layout.h"
#include "tools/map/palette.h"
#include "tools/map/render_png.h"
#include "unit/temp_dir.h"

namespace cbit::tools::map {
namespace {

namespace fs = std::filesystem;

// A directory of this process's pictures, removed when the test binary exits.
const fs::path& temp_dir() {
  static const testutil::UniqueTempDir dir("cbit-map-test");
  return dir.path();
}

struct Png {
  unsigned width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(long x, long y) const {
    const size_t i = (size_t(y) * width + size_t(x)) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  size_t count(Rgb c) const {
    size_t n = 0;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3)
      n += rgb[i] == c.r && rgb[i + 1] == c.g && rgb[i + 2] == c.b;
    return n;
  }
};

Png read_png(const std::string& path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    ADD_FAILURE() << path << ": " << img.message;
    return {};
  }
  img.format = PNG_FORMAT_RGB;
  Png p;
  p.width = img.width;
  p.height = img.height;
  p.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, p.rgb.data(), 0, nullptr)) {
    ADD_FAILURE() << path << ": " << img.message;
    png_image_free(&img);
    return {};
  }
  return p;
}

Rgb centre(const Png& p, const Rect& r) { return p.at(r.x + r.w / 2, r.y + r.h / 2); }

constexpr PageCell kPlain{PageKind::Plaintext, 0};
constexpr PageCell kHost{PageKind::Ciphertext, 0};
constexpr PageCell kAsid1{PageKind::Ciphertext, 1};
constexpr PageCell kAsid2{PageKind::Ciphertext, 2};
constexpr PageCell kZero{PageKind::Zero, 0};
constexpr PageCell kUntouched{PageKind::Untouched, 0};
constexpr PageCell kMixed{PageKind::Mixed, 0};

MapInput small_map() {
  MapInput in;
  in.title = "test map: 3 keys";
  in.first_pfn = 0x100;
  in.cells = {kPlain, kHost,      kAsid1, kAsid2,  //
              kZero,  kUntouched, kMixed, kAsid1,  //
              kHost,  kHost,      kPlain, kUntouched};
  return in;
}

std::string out_path(const std::string& name) { return (temp_dir() / name).string(); }

TEST(MapRender, CellsHaveTheColourOfWhatTheAttackerSees) {
  const MapInput in = small_map();
  const RenderOptions opt{4, 12};
  const std::string path = out_path("cells.png");
  render_png(in, path, opt);
  const Png png = read_png(path);
  const MapLayout L = plan_layout(in, opt);
  ASSERT_EQ(png.width, L.width);
  ASSERT_EQ(png.height, L.height);
  ASSERT_EQ(L.cells.size(), in.cells.size());

  EXPECT_EQ(centre(png, L.cell_rect(0)), palette::kPlaintext);
  EXPECT_EQ(centre(png, L.cell_rect(1)), palette::kKey0);
  EXPECT_EQ(centre(png, L.cell_rect(4)), palette::kZero);
  EXPECT_EQ(centre(png, L.cell_rect(5)), palette::kUntouched);
  EXPECT_EQ(centre(png, L.cell_rect(10)), palette::kPlaintext);
  // Two guests' ciphertext must not look alike, nor like the host key or plaintext.
  const Rgb a1 = centre(png, L.cell_rect(2)), a2 = centre(png, L.cell_rect(3));
  EXPECT_EQ(a1, asid_colour(1));
  EXPECT_EQ(a2, asid_colour(2));
  EXPECT_NE(a1, a2);
  EXPECT_EQ(centre(png, L.cell_rect(7)), a1);  // same key, same colour
  const std::set<std::tuple<int, int, int>> distinct = {
      {a1.r, a1.g, a1.b},
      {a2.r, a2.g, a2.b},
      {palette::kKey0.r, palette::kKey0.g, palette::kKey0.b},
      {palette::kPlaintext.r, palette::kPlaintext.g, palette::kPlaintext.b}};
  EXPECT_EQ(distinct.size(), 4u);
  // Mixed: yellow with the hatch, both present inside the cell.
  const Rect m = L.cell_rect(6);
  size_t base = 0, hatch = 0;
  for (long y = m.y; y < m.y + m.h; ++y)
    for (long x = m.x; x < m.x + m.w; ++x) {
      base += png.at(x, y) == palette::kMixed;
      hatch += png.at(x, y) == palette::kMixedHatch;
    }
  EXPECT_GT(base, 0u);
  EXPECT_GT(hatch, 0u);
  EXPECT_EQ(base + hatch, size_t(m.w * m.h));
  // The gap after a cell is background, so neighbouring cells stay apart.
  const Rect c0 = L.cell_rect(0);
  EXPECT_EQ(L.gap_px, 1u);
  EXPECT_EQ(png.at(c0.x + c0.w, c0.y), palette::kBackground);
}

TEST(MapRender, DimensionsFollowFromPagesPerRowAndCellSize) {
  // Cells taller than a text line (every row labelled, the grid sets the height) and rows
  // wider than the legend (the grid sets the width).
  const unsigned cell = 24;
  MapInput in = small_map();
  for (int i = 0; i < 3; ++i) in.cells.insert(in.cells.end(), in.cells.begin(), in.cells.end());
  ASSERT_EQ(in.cells.size(), 96u);
  const auto size_of = [&](const MapInput& m, unsigned ppr) {
    const std::string path = out_path("dims.png");
    render_png(m, path, {ppr, cell});
    const Png p = read_png(path);
    return std::pair<long, long>(p.width, p.height);
  };
  const auto [w32, h32] = size_of(in, 32);  // 3 rows
  const auto [w48, h48] = size_of(in, 48);  // 2 rows
  const auto [w96, h96] = size_of(in, 96);  // 1 row
  EXPECT_EQ(w48 - w32, 16 * long(cell));
  EXPECT_EQ(w96 - w48, 48 * long(cell));
  // Heights compare at the same width (a wider picture may fit the legend in more columns).
  MapInput two_rows = in;
  two_rows.cells.resize(64);
  EXPECT_EQ(h32 - size_of(two_rows, 32).second, long(cell));
  EXPECT_LE(h48, h32);
  EXPECT_LE(h96, h48);
  in.cells.push_back(kZero);  // a 97th page opens a 4th row of 32
  const auto [w32b, h32b] = size_of(in, 32);
  EXPECT_EQ(w32b, w32);
  EXPECT_EQ(h32b - h32, long(cell));
}

TEST(MapRender, RowLabelsAreTheRowsPhysicalAddresses) {
  const MapLayout L = plan_layout(small_map(), {4, 24});
  ASSERT_EQ(L.row_labels.size(), 3u);             // one per row at this cell size
  EXPECT_EQ(L.row_labels[0].text, "0x00100000");  // pfn 0x100
  EXPECT_EQ(L.row_labels[1].text, "0x00104000");  // 4 pages on
  EXPECT_EQ(L.row_labels[2].text, "0x00108000");
  // Small cells: labels thin out to every power-of-two rows.
  MapInput big;
  big.cells.assign(64 * 40, kZero);
  const MapLayout S = plan_layout(big, {64, 4});
  ASSERT_GE(S.row_labels.size(), 2u);
  EXPECT_EQ(S.row_labels[1].text, hex_address(8 * 64 * 4096));
}

TEST(MapRender, LegendListsOnlyClassesPresentWithSwatches) {
  MapInput in;
  in.title = "no mixed, no zero";
  in.cells = {kPlain, kHost, kHost, kUntouched, kUntouched, kUntouched};
  const std::string path = out_path("legend.png");
  render_png(in, path, {});
  const Png png = read_png(path);
  const MapLayout L = plan_layout(in, {});
  ASSERT_EQ(L.legend.size(), 3u);
  EXPECT_EQ(L.legend[0].cls.kind, PageKind::Plaintext);
  EXPECT_EQ(L.legend[0].count.text, "1 page");
  EXPECT_EQ(L.legend[1].cls.kind, PageKind::Ciphertext);
  EXPECT_EQ(L.legend[1].count.text, "2 pages");
  EXPECT_EQ(L.legend[2].cls.kind, PageKind::Untouched);
  EXPECT_EQ(L.legend[2].count.text, "3 pages");
  EXPECT_EQ(centre(png, L.legend[0].swatch), palette::kPlaintext);
  EXPECT_EQ(centre(png, L.legend[1].swatch), palette::kKey0);
  EXPECT_EQ(centre(png, L.legend[2].swatch), palette::kUntouched);
  // Nowhere in the picture: the absent classes' colours.
  EXPECT_EQ(png.count(palette::kMixed), 0u);
  EXPECT_EQ(png.count(palette::kMixedHatch), 0u);
  EXPECT_EQ(png.count(palette::kZero), 0u);
  EXPECT_EQ(png.count(asid_colour(1)), 0u);

  // Control: with a mixed page, its swatch and colour appear.
  in.cells.push_back(kMixed);
  render_png(in, path, {});
  const Png with_mixed = read_png(path);
  const MapLayout M = plan_layout(in, {});
  ASSERT_EQ(M.legend.size(), 4u);
  EXPECT_EQ(M.legend[2].cls.kind, PageKind::Mixed);
  const Rgb s = centre(with_mixed, M.legend[2].swatch);
  EXPECT_TRUE(s == palette::kMixed || s == palette::kMixedHatch);
  EXPECT_GT(with_mixed.count(palette::kMixed), 0u);
}

TEST(MapRender, LegendCollapsesManyAsidsAndKeepsEveryPageCounted) {
  MapInput in;
  for (uint32_t asid = 1; asid <= 40; ++asid)
    in.cells.insert(in.cells.end(), asid, {PageKind::Ciphertext, asid});
  const MapLayout L = plan_layout(in, {});
  ASSERT_EQ(L.legend.size(), kMaxAsidEntries);
  const LegendEntry& more = L.legend.back();
  EXPECT_EQ(more.more_keys, 40u - (kMaxAsidEntries - 1));
  EXPECT_EQ(more.cls.key, uint32_t(kMaxAsidEntries));
  uint64_t total = 0;
  for (const LegendEntry& e : L.legend) total += e.pages;
  EXPECT_EQ(total, in.cells.size());
  const std::string path = out_path("asids.png");
  render_png(in, path, {});
  EXPECT_LE(read_png(path).height, kMaxHeightPx);
}

TEST(MapRender, UnwritablePathThrowsNamingItAndLeavesNoFile) {
  const std::string path = "/nonexistent-dir/x.png";
  try {
    render_png(small_map(), path);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".cbit-tmp"));

  // A directory in the way: error, the directory untouched, no temporary left beside it.
  const fs::path dir = temp_dir() / "a-dir.png";
  fs::create_directories(dir);
  EXPECT_THROW(render_png(small_map(), dir.string()), InputError);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_FALSE(fs::exists(dir.string() + ".cbit-tmp"));

  // Control: a writable path gets a PNG.
  const std::string ok = out_path("ok.png");
  render_png(small_map(), ok);
  EXPECT_GT(read_png(ok).width, 0u);
}

TEST(MapRender, BadOptionsThrowAndKeepTheOldFile) {
  const std::string path = out_path("keep.png");
  render_png(small_map(), path);
  const auto before = fs::file_size(path);
  EXPECT_THROW(render_png(small_map(), path, {0, 4}), InputError);
  EXPECT_THROW(render_png(small_map(), path, {128, 0}), InputError);
  EXPECT_THROW(render_png(small_map(), path, {128, kMaxCellPx + 1}), InputError);
  EXPECT_THROW(render_png(small_map(), path, {100000, 4}), InputError);
  EXPECT_EQ(fs::file_size(path), before);
  EXPECT_GT(read_png(path).width, 0u);
}

TEST(MapRender, LargeInputIsAggregatedAndStaysUnder2000Pixels) {
  MapInput in;
  in.title = "300000 pages";
  in.cells.resize(300000);
  // Blocks of 64 pages: 40 plaintext then 24 host ciphertext; the rest of memory untouched
  // beyond 200000.
  for (size_t i = 0; i < 200000; ++i) in.cells[i] = (i % 64) < 40 ? kPlain : kHost;
  const std::string path = out_path("big.png");
  const RenderOptions opt{128, 4};
  render_png(in, path, opt);
  const Png png = read_png(path);
  const MapLayout L = plan_layout(in, opt);
  EXPECT_LE(png.height, kMaxHeightPx);
  EXPECT_GT(L.pages_per_cell, 1u);
  EXPECT_LE(L.cells.size(), kMaxCells);
  EXPECT_EQ(L.cells.size(), (in.cells.size() + L.pages_per_cell - 1) / L.pages_per_cell);
  EXPECT_EQ(png.width, L.grid_x + 128 * 4 + 16);
  // The legend still counts pages, not cells.
  ASSERT_EQ(L.legend.size(), 3u);
  EXPECT_EQ(L.legend[0].pages, 200000u / 64 * 40 + std::min<uint64_t>(200000 % 64, 40));
  EXPECT_EQ(L.legend[2].pages, 100000u);
  EXPECT_NE(L.subtitle.back().text.find(std::to_string(L.pages_per_cell) + " pages"),
            std::string::npos);
  // Each cell shows its block's majority, worked out here from the pages themselves.
  for (size_t cell : {size_t(0), size_t(5), L.cells.size() / 2, L.cells.size() - 1}) {
    size_t plain = 0, host = 0, untouched = 0;
    for (size_t i = cell * L.pages_per_cell;
         i < std::min(in.cells.size(), (cell + 1) * L.pages_per_cell); ++i) {
      plain += in.cells[i].kind == PageKind::Plaintext;
      host += in.cells[i].kind == PageKind::Ciphertext;
      untouched += in.cells[i].kind == PageKind::Untouched;
    }
    const Rgb want = plain >= host && plain >= untouched ? palette::kPlaintext
                     : host >= untouched                 ? palette::kKey0
                                                         : palette::kUntouched;
    EXPECT_EQ(centre(png, L.cell_rect(cell)), want) << "cell " << cell;
  }
}

TEST(MapRender, EmptyInputStillGivesAPicture) {
  const std::string path = out_path("empty.png");
  render_png(MapInput{}, path);
  const Png png = read_png(path);
  EXPECT_GT(png.width, 0u);
  EXPECT_GT(png.height, 0u);
  EXPECT_TRUE(plan_layout(MapInput{}, {}).legend.empty());
}

TEST(MapAggregate, MajorityWinsAndTiesGoToTheMoreTellingClass) {
  const std::vector<PageCell> pages = {kHost,  kHost,  kPlain,               // host wins
                                       kAsid1, kAsid2, kAsid2,               // ASID 2 wins
                                       kPlain, kHost,  {PageKind::Zero, 7},  // tie: plaintext
                                       kZero};                               // short last block
  const auto cells = aggregate(pages, 3);
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_TRUE(same_class(cells[0], kHost));
  EXPECT_TRUE(same_class(cells[1], kAsid2));
  EXPECT_TRUE(same_class(cells[2], kPlain));
  EXPECT_TRUE(same_class(cells[3], kZero));
  EXPECT_EQ(cells[3].key, 0u);  // a zero page's stray key slot is not a class
  // Control: without the tie, the majority is not plaintext.
  EXPECT_TRUE(same_class(aggregate({kPlain, kHost, kHost}, 3)[0], kHost));
}

TEST(MapAggregate, PagesPerCellIsThePowerOfTwoThatFits) {
  EXPECT_EQ(choose_pages_per_cell(1000, 128, 4, kMaxCells, 1600), 1u);
  EXPECT_EQ(choose_pages_per_cell(65536, 1024, 1, kMaxCells, 1600), 1u);
  EXPECT_EQ(choose_pages_per_cell(65537, 1024, 1, kMaxCells, 1600), 2u);
  // 300000 pages at 128 per row and 4 px: 8 per cell gives 293 rows = 1172 px.
  EXPECT_EQ(choose_pages_per_cell(300000, 128, 4, kMaxCells, 1600), 8u);
  EXPECT_EQ(choose_pages_per_cell(0, 128, 4, kMaxCells, 1600), 1u);
}

TEST(MapText, FontCoversEveryLabelCharacter) {
  for (char c = '0'; c <= '9'; ++c) EXPECT_TRUE(font::has_glyph(c)) << c;
  for (char c = 'a'; c <= 'z'; ++c) EXPECT_TRUE(font::has_glyph(c)) << c;
  for (char c = 'A'; c <= 'Z'; ++c) EXPECT_TRUE(font::has_glyph(c)) << c;
  for (char c : std::string(" -:(),./=x#+%")) EXPECT_TRUE(font::has_glyph(c)) << c;
  // Every piece of text the layout produces is drawable, not '?' boxes.
  MapInput in = small_map();
  in.cells.push_back({PageKind::Ciphertext, 509});
  const MapLayout L = plan_layout(in, {});
  std::string all = L.title.text + L.legend_heading.text;
  for (const auto& t : L.subtitle) all += t.text;
  for (const auto& t : L.row_labels) all += t.text;
  for (const auto& e : L.legend) all += e.label.text + e.count.text;
  for (char c : all) EXPECT_TRUE(font::has_glyph(c)) << "'" << c << "'";
  // Glyphs differ (a typo in the art would make two look the same).
  EXPECT_NE(font::glyph('0'), font::glyph('O'));
  EXPECT_NE(font::glyph('1'), font::glyph('l'));
  EXPECT_EQ(font::glyph('\x7f'), font::glyph('?'));
  EXPECT_FALSE(font::has_glyph('\x80'));
}

TEST(MapText, NumbersAndSizes) {
  EXPECT_EQ(hex_address(0x100000), "0x00100000");
  EXPECT_EQ(hex_address(0x12345678900), "0x12345678900");
  EXPECT_EQ(page_count(1), "1 page");
  EXPECT_EQ(page_count(1234567), "1,234,567 pages");
  EXPECT_EQ(byte_size(4096), "4 KiB");
  EXPECT_EQ(byte_size(300000ull * 4096), "1.1 GiB");
  EXPECT_EQ(byte_size(512), "512 B");
}

}  // namespace
}  // namespace cbit::tools::map
