// Byte-buffer helpers: hex, little-endian loads and stores, searching.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cbit {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutByteSpan = std::span<uint8_t>;

std::string to_hex(ByteSpan bytes);
// Parses hex (whitespace and an optional 0x prefix allowed); throws InputError naming `what`.
Bytes from_hex(std::string_view hex, std::string_view what = "hex string");

inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <typename T>
T load_le(const uint8_t* p) {
  T v{};
  std::memcpy(&v, p, sizeof(T));  // x86-64 is little-endian, as are all the spec's structures
  return v;
}
template <typename T>
void store_le(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// Number of (possibly overlapping) occurrences of needle in haystack.
size_t count_occurrences(ByteSpan haystack, ByteSpan needle);

}  // namespace cbit
