// Whole numbers typed by a user (--set values, numeric flags): one reading everywhere.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace cbit {

// Decimal, or hex after "0x"/"0X"; nothing else: no sign, blanks, exponent or suffix, and
// nothing past 2^64 - 1 (refused, never wrapped). Leading zeros of a decimal are read as decimal.
std::optional<uint64_t> parse_u64(std::string_view s);

}  // namespace cbit
