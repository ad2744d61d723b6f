#include "tools/measure/py_int.h"

#include <cctype>

namespace cbit::tools::measure {

std::optional<PyInt> parse_py_int(std::string_view s, int base) {
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  PyInt r;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    r.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  int radix = 10;
  bool prefixed = false;
  if (base == 0 && s.size() >= 2 && s[0] == '0') {
    const char p = char(std::tolower(static_cast<unsigned char>(s[1])));
    if (p == 'x' || p == 'o' || p == 'b') {
      radix = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      prefixed = true;
      s.remove_prefix(2);
    }
  }
  if (s.empty()) return std::nullopt;
  // Underscores: single, between digits (after a base prefix one may lead).
  bool prev_digit = prefixed;
  size_t digits = 0;
  bool nonzero = false, leading_zero = false;
  uint64_t mag = 0;
  bool big = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (!prev_digit || i + 1 == s.size()) return std::nullopt;
      prev_digit = false;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
      v = c - 'A' + 10;
    else
      return std::nullopt;
    if (v >= radix) return std::nullopt;
    if (digits == 0 && v == 0) leading_zero = true;
    if (v != 0) nonzero = true;
    ++digits;
    prev_digit = true;
    // Unsigned wrap-around keeps the value modulo 2^64; the flag remembers it did not fit.
    uint64_t next;
    if (__builtin_mul_overflow(mag, uint64_t(radix), &next)) big = true;
    if (__builtin_add_overflow(next, uint64_t(v), &mag)) big = true;
  }
  // int("010", 0) is an error (ambiguous octal); int("000", 0) is fine.
  if (base == 0 && !prefixed && leading_zero && nonzero) return std::nullopt;
  const uint64_t m = mag;
  r.bits = r.negative ? uint64_t(0) - m : m;
  r.fits_i64 = !big && (r.negative ? m <= (uint64_t(1) << 63) : m < (uint64_t(1) << 63));
  if (m == 0) r.negative = false;
  return r;
}

}  // namespace cbit::tools::measure
