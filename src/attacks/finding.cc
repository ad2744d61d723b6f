#include "attacks/finding.h"

#include <algorithm>
#include <functional>

namespace cbit::attacks {

size_t AttackReport::count(const std::string& needle) const {
  return static_cast<size_t>(
      std::count_if(hits.begin(), hits.end(), [&](const Hit& h) { return h.needle == needle; }));
}

nlohmann::json AttackReport::to_json() const {
  nlohmann::json j{{"attack", attack},
                   {"summary", summary},
                   {"bytes_seen", bytes_seen},
                   {"pages_seen", pages_seen}};
  auto& hs = j["hits"] = nlohmann::json::array();
  for (const auto& h : hits) hs.push_back({{"address", h.address}, {"needle", h.needle}});
  return j;
}

void search_into(AttackReport& r, uint64_t base, ByteSpan data,
                 const std::vector<std::string>& needles) {
  for (const auto& n : needles) {
    if (n.empty() || n.size() > data.size()) continue;
    const Bytes needle(n.begin(), n.end());
    auto searcher = std::boyer_moore_horspool_searcher(needle.begin(), needle.end());
    for (auto it = data.begin();;) {
      it = std::search(it, data.end(), searcher);
      if (it == data.end()) break;
      r.hits.push_back({base + static_cast<uint64_t>(it - data.begin()), n});
      ++it;
    }
  }
}

}  // namespace cbit::attacks
