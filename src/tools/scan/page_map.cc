#include "tools/scan/page_map.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file.h"
#include "tools/scan/page_classifier.h"

namespace cbit::tools::scan {
namespace {

uint64_t read_number(const nlohmann::json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.size() > 2 && (s.starts_with("0x") || s.starts_with("0X")) && s.size() <= 18) {
      uint64_t x = 0;
      bool ok = true;
      for (size_t i = 2; i < s.size() && ok; ++i) {
        const char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        ok = d >= 0;
        x = x << 4 | uint64_t(d < 0 ? 0 : d);
      }
      if (ok) return x;
    }
  }
  throw InputError(where + ": expected a non-negative number or a \"0x...\" hex string");
}

}  // namespace

std::string_view mem_kind_name(MemKind k) {
  switch (k) {
    case MemKind::Unmapped:
      return "unmapped";
    case MemKind::Private:
      return "private";
    case MemKind::Shared:
      return "shared";
    case MemKind::Mmio:
      return "mmio";
    case MemKind::Unaccepted:
      return "unaccepted";
  }
  return "?";
}

std::optional<MemKind> mem_kind_from_name(std::string_view s) {
  for (MemKind k : {MemKind::Private, MemKind::Shared, MemKind::Mmio, MemKind::Unaccepted})
    if (s == mem_kind_name(k)) return k;
  return std::nullopt;
}

PageMap PageMap::parse(std::string_view json_text, const std::string& name) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: not valid JSON: {}", name, e.what()));
  }
  const nlohmann::json* list = &doc;
  if (doc.is_object()) {
    if (doc.contains("format") && doc["format"] != "cbit-page-map")
      throw InputError(name + ": \"format\" is not \"cbit-page-map\"");
    if (doc.contains("version") && doc["version"] != 1)
      throw InputError(name + ": unsupported \"version\" (this cbit reads version 1)");
    if (!doc.contains("regions")) throw InputError(name + ": no \"regions\" list");
    list = &doc["regions"];
  }
  if (!list->is_array()) throw InputError(name + ": \"regions\" must be a list");
  PageMap map;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& r = (*list)[i];
    const std::string where = fmt::format("{}: region {}", name, i);
    if (!r.is_object() || !r.contains("gpa") || !r.contains("size") || !r.contains("kind"))
      throw InputError(where + ": needs \"gpa\", \"size\" and \"kind\"");
    Region reg;
    reg.gpa = read_number(r["gpa"], where + " gpa");
    reg.size = read_number(r["size"], where + " size");
    if (reg.size == 0 || reg.gpa % kPageSize || reg.size % kPageSize)
      throw InputError(where + ": gpa and size must be multiples of 4096 and size > 0");
    if (reg.gpa + reg.size < reg.gpa) throw InputError(where + ": gpa + size wraps around");
    if (!r["kind"].is_string()) throw InputError(where + ": \"kind\" must be a string");
    const auto kind = mem_kind_from_name(r["kind"].get<std::string>());
    if (!kind)
      throw InputError(where + ": kind \"" + r["kind"].get<std::string>() +
                       "\" is not private, shared, mmio or unaccepted");
    reg.kind = *kind;
    if (r.contains("label")) {
      if (!r["label"].is_string()) throw InputError(where + ": \"label\" must be a string");
      reg.label = r["label"].get<std::string>();
    }
    map.regions_.push_back(std::move(reg));
  }
  std::sort(map.regions_.begin(), map.regions_.end(),
            [](const Region& a, const Region& b) { return a.gpa < b.gpa; });
  for (size_t i = 1; i < map.regions_.size(); ++i)
    if (map.regions_[i].gpa < map.regions_[i - 1].gpa + map.regions_[i - 1].size)
      throw InputError(fmt::format("{}: regions at 0x{:x} and 0x{:x} overlap", name,
                                   map.regions_[i - 1].gpa, map.regions_[i].gpa));
  return map;
}

PageMap PageMap::load(const std::string& path) {
  // read_file takes pipes too, so `--page-map <(...)` and named pipes work.
  const Bytes b = read_file(path, inputs::kPageMap);
  return parse(std::string(b.begin(), b.end()), path);
}

const Region* PageMap::find(uint64_t gpa) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), gpa,
                             [](uint64_t g, const Region& r) { return g < r.gpa; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return gpa - it->gpa < it->size ? &*it : nullptr;
}

}  // namespace cbit::tools::scan
