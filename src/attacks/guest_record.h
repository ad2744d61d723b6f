// The fixed-size records the attack rows' guests keep in memory (a bank balance, a key): a
// string in a zero-filled buffer of the record's size, cut at that size.
#pragma once
#include <algorithm>
#include <string_view>

#include "common/bytes.h"

namespace cbit::attacks {

inline Bytes guest_record(std::string_view s, size_t len) {
  Bytes b(len, 0);
  std::copy_n(s.begin(), std::min(s.size(), len), b.begin());
  return b;
}

}  // namespace cbit::attacks
