#include "tools/map/page_map_export.h"

#include <fmt/format.h>

#include "common/addr.h"
#include "common/file.h"

namespace cbit::tools::map {

namespace {
struct Attribution {
  std::string kind;  // "private" / "shared", empty = leave out
  std::string label;
  bool operator==(const Attribution&) const = default;
};

Attribution attribute(const PageCell& c) {
  switch (c.kind) {
    case PageKind::Ciphertext:
      return {"private", c.key == 0 ? "host key (SME/TSME)" : fmt::format("ASID {} key", c.key)};
    case PageKind::Mixed:
      return {"private", "lines under several keys"};
    case PageKind::Plaintext:
    case PageKind::Zero:
      return {"shared", "written without encryption"};
    case PageKind::RmpFirmware:
      return {"private", "firmware-owned (RMP)"};
    case PageKind::RmpVmsa:
    case PageKind::RmpGuestValid:
    case PageKind::RmpGuestInvalid:
      return {"private", fmt::format("ASID {} (RMP)", c.key)};
    case PageKind::Untouched:
      break;
  }
  return {};
}
}  // namespace

nlohmann::json page_map_json(const MapInput& in) {
  nlohmann::json regions = nlohmann::json::array();
  size_t i = 0;
  while (i < in.cells.size()) {
    const Attribution a = attribute(in.cells[i]);
    size_t j = i + 1;
    while (j < in.cells.size() && attribute(in.cells[j]) == a) ++j;
    if (!a.kind.empty()) {
      regions.push_back({{"gpa", fmt::format("{:#x}", (in.first_pfn + i) << kPageShift)},
                         {"size", fmt::format("{:#x}", (j - i) << kPageShift)},
                         {"kind", a.kind},
                         {"label", a.label}});
    }
    i = j;
  }
  return {{"format", "cbit-page-map"}, {"version", 1}, {"regions", regions}};
}

void write_page_map(const MapInput& in, const std::string& path) {
  write_file_atomic(path, page_map_json(in).dump(1) + "\n");
}

}  // namespace cbit::tools::map
