// An RGB raster for the map picture: rectangles, the hatch of mixed cells, and text in the
// built-in bitmap font. Drawing clips at the edges, so a layout slip shows as a cut label rather
// than a write past the buffer.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tools/map/palette.h"

namespace cbit::tools::map {

class Canvas {
 public:
  Canvas(unsigned width, unsigned height, Rgb background);

  unsigned width() const { return width_; }
  unsigned height() const { return height_; }
  // Rows top to bottom, 3 bytes (R, G, B) per pixel, no padding.
  const std::vector<uint8_t>& rgb() const { return rgb_; }
  Rgb at(unsigned x, unsigned y) const;

  void fill(long x, long y, long w, long h, Rgb c);
  // Base colour with the mixed-cell hatch (palette.h) over it.
  void fill_hatched(long x, long y, long w, long h, Rgb base, Rgb hatch);
  // One-pixel outline inside the rectangle.
  void frame(long x, long y, long w, long h, Rgb c);
  // Text with its line's top-left at (x, y); each font pixel becomes scale x scale pixels.
  void text(long x, long y, std::string_view s, Rgb c, unsigned scale);

 private:
  unsigned width_, height_;
  std::vector<uint8_t> rgb_;
};

// Width and height in pixels of one line of text at this scale.
unsigned text_width(std::string_view s, unsigned scale);
unsigned text_height(unsigned scale);

}  // namespace cbit::tools::map
