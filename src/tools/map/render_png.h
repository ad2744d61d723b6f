// Renders a memory map: one cell per 4 KiB page, laid out row by row (a fixed number of pages
// per row, with the physical address of each row's first page on the left), coloured by
// PageKind (and, for ciphertext, by key slot), with a title and a legend listing every class
// present with its count of pages. Writes a PNG with libpng.
#pragma once
#include <string>

#include "tools/map/page_class.h"

namespace cbit::tools::map {

struct RenderOptions {
  unsigned pages_per_row = 128;
  unsigned cell_px = 4;
};

// Throws InputError naming the file if it cannot be written; never leaves a partial file.
void render_png(const MapInput& in, const std::string& path, const RenderOptions& opt = {});

}  // namespace cbit::tools::map
