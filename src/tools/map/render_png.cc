#include "tools/map/render_png.h"

#include <png.h>

#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/file.h"
#include "tools/map/canvas.h"
#include "tools/map/layout.h"
#include "tools/map/palette.h"

namespace cbit::tools::map {
namespace {

void paint_class(Canvas& cv, const Rect& r, const PageCell& cls) {
  if (cls.kind == PageKind::Mixed)
    cv.fill_hatched(r.x, r.y, r.w, r.h, palette::kMixed, palette::kMixedHatch);
  else if (cls.kind == PageKind::RmpGuestInvalid)
    cv.fill_hatched(r.x, r.y, r.w, r.h, cell_colour(cls), palette::kRmpInvalidHatch);
  else
    cv.fill(r.x, r.y, r.w, r.h, cell_colour(cls));
}

// The swatch of "N more ASIDs": vertical bands of the colours those ASIDs cycle through.
void paint_more_swatch(Canvas& cv, const Rect& r, const LegendEntry& e) {
  const uint32_t bands = std::min<uint32_t>(e.more_keys, palette::kAsidColours);
  for (uint32_t i = 0; i < bands; ++i) {
    const long x0 = r.x + r.w * long(i) / long(bands), x1 = r.x + r.w * long(i + 1) / long(bands);
    cv.fill(x0, r.y, x1 - x0, r.h, asid_colour(e.cls.key + i));
  }
}

Canvas paint(const MapLayout& L) {
  Canvas cv(L.width, L.height, palette::kBackground);
  const unsigned S = L.text_scale;
  cv.text(L.title.x, L.title.y, L.title.text, palette::kText, S);
  for (const TextLine& t : L.subtitle) cv.text(t.x, t.y, t.text, palette::kTextDim, S);

  for (size_t i = 0; i < L.cells.size(); ++i) paint_class(cv, L.cell_rect(i), L.cells[i]);
  for (const TextLine& t : L.row_labels) cv.text(t.x, t.y, t.text, palette::kTextDim, S);
  for (const Rect& r : L.row_ticks) cv.fill(r.x, r.y, r.w, r.h, palette::kFrame);

  cv.text(L.legend_heading.x, L.legend_heading.y, L.legend_heading.text, palette::kText, S);
  for (const LegendEntry& e : L.legend) {
    if (e.more_keys)
      paint_more_swatch(cv, e.swatch, e);
    else
      paint_class(cv, e.swatch, e.cls);
    cv.frame(e.swatch.x, e.swatch.y, e.swatch.w, e.swatch.h, palette::kFrame);
    cv.text(e.label.x, e.label.y, e.label.text, palette::kText, S);
    cv.text(e.count.x, e.count.y, e.count.text, palette::kTextDim, S);
  }
  return cv;
}

// Encodes with libpng's simplified API, which does its own setjmp/longjmp inside libpng and
// reports failure through the return value and image.message, so no C++ object ever lives
// across a longjmp. The PNG goes to memory; write_file_atomic then writes a temporary and
// renames it, so a failure at any step leaves no file behind.
Bytes encode_png(const Canvas& cv, std::string& error) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = cv.width();
  image.height = cv.height();
  image.format = PNG_FORMAT_RGB;
  Bytes out(PNG_IMAGE_PNG_SIZE_MAX(image));
  png_alloc_size_t size = out.size();
  const int ok = png_image_write_to_memory(&image, out.data(), &size, /*convert_to_8_bit=*/0,
                                           cv.rgb().data(), /*row_stride=*/0, nullptr);
  if (!ok) {
    error = image.message;
    png_image_free(&image);
    return {};
  }
  out.resize(size);
  return out;
}

}  // namespace

void render_png(const MapInput& in, const std::string& path, const RenderOptions& opt) {
  const MapLayout layout = plan_layout(in, opt);
  const Canvas canvas = paint(layout);
  std::string error;
  const Bytes png = encode_png(canvas, error);
  if (png.empty()) throw InputError(path + ": cannot encode PNG: " + error);
  write_file_atomic(path, png);
}

}  // namespace cbit::tools::map
