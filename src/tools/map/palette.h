// Colours of the memory map. Built on the Okabe-Ito palette (Okabe & Ito, "Color Universal
// Design", 2008), which stays distinguishable under the common colour-vision deficiencies:
// plaintext is the warning vermillion, the host key is the deep blue, guest ASIDs cycle through
// the remaining hues, mixed pages are yellow with a darker hatch, and the two "nothing there"
// classes are greys (zero lighter than untouched) so the eye skips them.
#pragma once
#include <cstdint>
#include <string>

#include "tools/map/page_class.h"

namespace cbit::tools::map {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  friend bool operator==(const Rgb&, const Rgb&) = default;
};

namespace palette {
inline constexpr Rgb kBackground{250, 250, 248};
inline constexpr Rgb kText{28, 28, 30};
inline constexpr Rgb kTextDim{100, 100, 104};
inline constexpr Rgb kFrame{60, 60, 64};
inline constexpr Rgb kUntouched{44, 44, 48};
inline constexpr Rgb kZero{156, 156, 156};
inline constexpr Rgb kPlaintext{213, 94, 0};     // vermillion
inline constexpr Rgb kKey0{0, 114, 178};         // blue: host SME/TSME key
inline constexpr Rgb kMixed{240, 228, 66};       // yellow
inline constexpr Rgb kMixedHatch{150, 130, 20};  // its hatch
inline constexpr unsigned kAsidColours = 6;      // ASID n uses entry (n - 1) % kAsidColours
// RMP classes (cbit map --scenario snp): firmware pages near-black purple, VMSA pages orange
// (Okabe-Ito), guest-invalid pages the ASID's colour under a dark hatch.
inline constexpr Rgb kRmpFirmware{68, 36, 102};
inline constexpr Rgb kRmpVmsa{230, 159, 0};
inline constexpr Rgb kRmpInvalidHatch{40, 40, 44};
}  // namespace palette

// Colour of ASID key slot n >= 1: ASIDs 1 and 2 (the common one- and two-guest pictures) get the
// two hues furthest from each other and from the host blue.
Rgb asid_colour(uint32_t key);

// Fill colour of a cell of this class (for Mixed: the base colour under the hatch).
Rgb cell_colour(const PageCell& c);

// Whether a pixel at image position (x, y) inside a Mixed cell is hatch; the hatch runs in
// image coordinates so neighbouring mixed cells form continuous diagonal stripes.
inline bool mixed_hatch_at(unsigned x, unsigned y) { return (x + y) % 4 == 0; }

}  // namespace cbit::tools::map
