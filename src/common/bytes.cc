#include "common/bytes.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "common/error.h"

namespace cbit {

std::string to_hex(ByteSpan bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

Bytes from_hex(std::string_view hex, std::string_view what) {
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':') continue;
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      throw InputError(std::string(what) + ": '" + c + "' is not a hex digit");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw InputError(std::string(what) + ": odd number of hex digits");
  return out;
}

size_t count_occurrences(ByteSpan haystack, ByteSpan needle) {
  if (needle.empty() || needle.size() > haystack.size()) return 0;
  size_t n = 0;
  auto searcher = std::boyer_moore_horspool_searcher(needle.begin(), needle.end());
  for (auto it = haystack.begin();;) {
    it = std::search(it, haystack.end(), searcher);
    if (it == haystack.end()) break;
    ++n;
    ++it;
  }
  return n;
}

}  // namespace cbit
