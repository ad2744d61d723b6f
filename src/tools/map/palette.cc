#include "tools/map/palette.h"

#include <array>

namespace cbit::tools::map {

Rgb asid_colour(uint32_t key) {
  static constexpr std::array<Rgb, palette::kAsidColours> kCycle = {{
      {0, 158, 115},    // bluish green (Okabe-Ito)
      {204, 121, 167},  // reddish purple (Okabe-Ito)
      {86, 180, 233},   // sky blue (Okabe-Ito)
      {17, 119, 51},    // dark green (Tol)
      {136, 34, 85},    // wine (Tol)
      {68, 170, 153},   // teal (Tol)
  }};
  return kCycle[(key == 0 ? 0 : key - 1) % kCycle.size()];
}

Rgb cell_colour(const PageCell& c) {
  switch (c.kind) {
    case PageKind::Untouched:
      return palette::kUntouched;
    case PageKind::Zero:
      return palette::kZero;
    case PageKind::Plaintext:
      return palette::kPlaintext;
    case PageKind::Ciphertext:
      return c.key == 0 ? palette::kKey0 : asid_colour(c.key);
    case PageKind::Mixed:
      return palette::kMixed;
    case PageKind::RmpFirmware:
      return palette::kRmpFirmware;
    case PageKind::RmpVmsa:
      return palette::kRmpVmsa;
    case PageKind::RmpGuestValid:
    case PageKind::RmpGuestInvalid:
      return asid_colour(c.key);
  }
  return palette::kUntouched;
}

}  // namespace cbit::tools::map
