// XTS tweak arithmetic in GF(2^128) (IEEE 1619-2007, 5.2): a tweak is a 128-bit little-endian
// polynomial, alpha = x, reduced by x^128 + x^7 + x^2 + x + 1 (0x87). Block j of a data unit uses
// T0 * alpha^j. Shared by the OpenSSL-based and the VAES paths of the AES engine.
#pragma once
#include <cstdint>
#include <cstring>

namespace cbit::hw::xts {

struct Tweak {
  uint64_t lo = 0;  // bytes 0..7 (little-endian)
  uint64_t hi = 0;  // bytes 8..15

  static Tweak load(const uint8_t* p) {
    Tweak t;
    std::memcpy(&t.lo, p, 8);
    std::memcpy(&t.hi, p + 8, 8);
    return t;
  }
  void store(uint8_t* p) const {
    std::memcpy(p, &lo, 8);
    std::memcpy(p + 8, &hi, 8);
  }
  Tweak operator^(const Tweak& o) const { return {lo ^ o.lo, hi ^ o.hi}; }
};

// t * x^k for 1 <= k <= 56: the k bits shifted out of the top, times 0x87, fit in 63 bits, so one
// fold reduces them.
inline Tweak mul_x_k(Tweak t, unsigned k) {
  const uint64_t top = t.hi >> (64 - k);
  Tweak r;
  r.hi = (t.hi << k) | (t.lo >> (64 - k));
  r.lo = (t.lo << k) ^ top ^ (top << 1) ^ (top << 2) ^ (top << 7);
  return r;
}

// t * x^j for any j (a page has j < 256: at most five steps).
inline Tweak mul_x_pow(Tweak t, unsigned j) {
  while (j > 0) {
    const unsigned k = j < 56 ? j : 56;
    t = mul_x_k(t, k);
    j -= k;
  }
  return t;
}

}  // namespace cbit::hw::xts
