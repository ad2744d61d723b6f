// A small bitmap font for the map's labels, drawn for cbit (not taken from any font file):
// glyphs 5 pixels wide on a 9-row line (rows 0-6 for capitals and digits, rows 2-6 for the
// x-height, rows 7-8 for descenders), advancing 6 columns per character.
#pragma once
#include <array>
#include <cstdint>

namespace cbit::tools::map::font {

inline constexpr unsigned kGlyphWidth = 5;
inline constexpr unsigned kLineRows = 9;
inline constexpr unsigned kAdvance = 6;

// One row bitmask per line row; bit 4 is the leftmost column.
using Glyph = std::array<uint8_t, kLineRows>;

// The glyph of c; characters the font lacks (and non-ASCII bytes) come out as '?'.
const Glyph& glyph(char c);

// Whether the font has a glyph of its own for c.
bool has_glyph(char c);

}  // namespace cbit::tools::map::font
