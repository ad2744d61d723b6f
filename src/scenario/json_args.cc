#include "scenario/json_args.h"

#include <fmt/format.h>

#include <limits>

#include "common/error.h"
#include "common/number.h"

namespace cbit::scenario {

std::optional<uint64_t> parse_size(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t mult = 1;
  std::string_view num = s;
  auto strip = [&](std::string_view suffix, uint64_t m) {
    if (num.size() > suffix.size() && num.substr(num.size() - suffix.size()) == suffix) {
      num.remove_suffix(suffix.size());
      mult = m;
      return true;
    }
    return false;
  };
  if (!(num.size() > 2 && (num.substr(0, 2) == "0x" || num.substr(0, 2) == "0X")))
    strip("KiB", 1ull << 10) || strip("MiB", 1ull << 20) || strip("GiB", 1ull << 30) ||
        strip("TiB", 1ull << 40) || strip("K", 1ull << 10) || strip("M", 1ull << 20) ||
        strip("G", 1ull << 30) || strip("T", 1ull << 40);
  const auto v = parse_u64(num);
  if (!v || (mult > 1 && *v > std::numeric_limits<uint64_t>::max() / mult)) return std::nullopt;
  return *v * mult;
}

JsonArgs::JsonArgs(nlohmann::json values, std::string where,
                   std::map<std::string, std::string, std::less<>> key_where)
    : v_(std::move(values)), where_(std::move(where)), key_where_(std::move(key_where)) {
  if (!v_.is_object()) v_ = nlohmann::json::object();
}

const nlohmann::json* JsonArgs::find(std::string_view key) const {
  const auto it = v_.find(std::string(key));
  return it == v_.end() || it->is_null() ? nullptr : &*it;
}

void JsonArgs::wrong(std::string_view key, const char* want) const {
  throw InputError(fmt::format("{}: must be {}", where(key), want));
}

bool JsonArgs::has(std::string_view key) const { return find(key) != nullptr; }

std::string JsonArgs::str(std::string_view key, std::string_view dflt) const {
  const auto* j = find(key);
  if (!j) return std::string(dflt);
  if (!j->is_string()) wrong(key, "a string");
  return j->get<std::string>();
}

uint64_t JsonArgs::u64(std::string_view key, uint64_t dflt) const {
  const auto* j = find(key);
  if (!j) return dflt;
  if (j->is_number_unsigned()) return j->get<uint64_t>();
  if (j->is_number_integer() && j->get<int64_t>() >= 0) return uint64_t(j->get<int64_t>());
  if (j->is_string())
    if (const auto v = parse_u64(j->get<std::string>())) return *v;
  wrong(key, "a whole number from 0 to 2^64-1");
}

bool JsonArgs::flag(std::string_view key, bool dflt) const {
  const auto* j = find(key);
  if (!j) return dflt;
  if (!j->is_boolean()) wrong(key, "true or false");
  return j->get<bool>();
}

uint64_t JsonArgs::size(std::string_view key, uint64_t dflt) const {
  const auto* j = find(key);
  if (!j) return dflt;
  if (j->is_string())
    if (const auto v = parse_size(j->get<std::string>())) return *v;
  if (j->is_number_unsigned()) return j->get<uint64_t>();
  if (j->is_number_integer() && j->get<int64_t>() >= 0) return uint64_t(j->get<int64_t>());
  wrong(key, "a size (bytes, or with K, M, G, T, KiB, MiB, GiB, TiB)");
}

std::vector<std::string> JsonArgs::strings(std::string_view key) const {
  const auto* j = find(key);
  if (!j) return {};
  if (j->is_string()) return {j->get<std::string>()};
  if (!j->is_array()) wrong(key, "a list of strings");
  std::vector<std::string> out;
  for (const auto& e : *j) {
    if (!e.is_string()) wrong(key, "a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

nlohmann::json JsonArgs::table(std::string_view key) const {
  const auto* j = find(key);
  if (!j) return nlohmann::json::object();
  if (!j->is_object()) wrong(key, "a table");
  return *j;
}

std::string JsonArgs::where(std::string_view key) const {
  const auto it = key_where_.find(key);
  if (it != key_where_.end()) return fmt::format("{}: key '{}'", it->second, key);
  return fmt::format("{}: key '{}'", where_, key);
}

}  // namespace cbit::scenario
