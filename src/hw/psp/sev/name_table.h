// Spec-name tables of the firmware API's enums (sev_api.cc, snp_api.cc): one row per value, and
// the two look-ups both directions use.
#pragma once
#include <optional>
#include <string_view>

namespace cbit::hw::psp::sev {

template <typename E>
struct NameRow {
  E value;
  std::string_view name;
};

template <typename Table, typename E>
std::string_view find_name(const Table& t, E v) {
  for (const auto& r : t)
    if (r.value == v) return r.name;
  return "UNKNOWN";
}

template <typename E, typename Table>
std::optional<E> find_value(const Table& t, std::string_view n) {
  for (const auto& r : t)
    if (r.name == n) return r.value;
  return std::nullopt;
}

}  // namespace cbit::hw::psp::sev
