#include "tools/map/canvas.h"

#include <algorithm>

#include "common/error.h"
#include "tools/map/font5x7.h"

namespace cbit::tools::map {

Canvas::Canvas(unsigned width, unsigned height, Rgb background)
    : width_(width), height_(height), rgb_(size_t(width) * height * 3) {
  fill(0, 0, width, height, background);
}

Rgb Canvas::at(unsigned x, unsigned y) const {
  CBIT_ASSERT(x < width_ && y < height_);
  const size_t i = (size_t(y) * width_ + x) * 3;
  return {rgb_[i], rgb_[i + 1], rgb_[i + 2]};
}

void Canvas::fill(long x, long y, long w, long h, Rgb c) {
  const long x0 = std::max(0L, x), y0 = std::max(0L, y);
  const long x1 = std::min<long>(width_, x + w), y1 = std::min<long>(height_, y + h);
  for (long yy = y0; yy < y1; ++yy) {
    uint8_t* p = &rgb_[(size_t(yy) * width_ + size_t(x0)) * 3];
    for (long xx = x0; xx < x1; ++xx, p += 3) {
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
}

void Canvas::fill_hatched(long x, long y, long w, long h, Rgb base, Rgb hatch) {
  const long x0 = std::max(0L, x), y0 = std::max(0L, y);
  const long x1 = std::min<long>(width_, x + w), y1 = std::min<long>(height_, y + h);
  for (long yy = y0; yy < y1; ++yy) {
    for (long xx = x0; xx < x1; ++xx) {
      const Rgb c = mixed_hatch_at(unsigned(xx), unsigned(yy)) ? hatch : base;
      uint8_t* p = &rgb_[(size_t(yy) * width_ + size_t(xx)) * 3];
      p[0] = c.r;
      p[1] = c.g;
      p[2] = c.b;
    }
  }
}

void Canvas::frame(long x, long y, long w, long h, Rgb c) {
  fill(x, y, w, 1, c);
  fill(x, y + h - 1, w, 1, c);
  fill(x, y, 1, h, c);
  fill(x + w - 1, y, 1, h, c);
}

void Canvas::text(long x, long y, std::string_view s, Rgb c, unsigned scale) {
  const long step = long(font::kAdvance * scale);
  for (char ch : s) {
    const font::Glyph& g = font::glyph(ch);
    for (unsigned row = 0; row < font::kLineRows; ++row) {
      for (unsigned col = 0; col < font::kGlyphWidth; ++col) {
        if (g[row] & (1u << (font::kGlyphWidth - 1 - col)))
          fill(x + long(col * scale), y + long(row * scale), scale, scale, c);
      }
    }
    x += step;
  }
}

unsigned text_width(std::string_view s, unsigned scale) {
  if (s.empty()) return 0;
  // The last character needs no spacing column after it.
  return unsigned(s.size() * font::kAdvance - (font::kAdvance - font::kGlyphWidth)) * scale;
}

unsigned text_height(unsigned scale) { return font::kLineRows * scale; }

}  // namespace cbit::tools::map
