// Integers spelled as sev-snp-measure accepts them (Python's int(s) and int(s, 0)): optional
// surrounding whitespace and sign, underscores between digits, and with base 0 the 0x / 0o /
// 0b prefixes (and no leading zeros on decimals). Values are reduced modulo 2^64, two's
// complement, which is what the reference stores into its u64 VMSA fields.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace cbit::tools::measure {

struct PyInt {
  bool negative = false;
  uint64_t bits = 0;     // value modulo 2^64
  bool fits_i64 = true;  // -2^63 <= value < 2^63
  int64_t as_i64() const { return static_cast<int64_t>(bits); }
};

// base 0: int(s, 0); base 10: int(s). nullopt where Python raises ValueError.
std::optional<PyInt> parse_py_int(std::string_view s, int base);

}  // namespace cbit::tools::measure
