// Reading a recorded trace back in tests (common/trace.h): the document parsed with nlohmann,
// the events of one track in the order the file lists them, and a recording scoped to a test.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/trace.h"

namespace cbit::testutil {

// Records for the lifetime of the object (the sink is process-wide: one at a time).
struct Recording {
  Recording() { trace::begin_recording(); }
  ~Recording() { trace::end_recording(); }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
  nlohmann::json parse() const { return nlohmann::json::parse(trace::document()); }
};

inline std::vector<nlohmann::json> events_on(const nlohmann::json& doc, trace::Track t) {
  std::vector<nlohmann::json> out;
  for (const auto& e : doc.at("traceEvents"))
    if (e.at("ph") != "M" && e.at("pid") == t.pid && e.at("tid") == t.tid) out.push_back(e);
  return out;
}

inline std::vector<std::string> names_on(const nlohmann::json& doc, trace::Track t) {
  std::vector<std::string> out;
  for (const auto& e : events_on(doc, t)) out.push_back(e.at("name"));
  return out;
}

// Events anywhere whose name starts with `prefix`.
inline std::vector<nlohmann::json> named(const nlohmann::json& doc, const std::string& prefix) {
  std::vector<nlohmann::json> out;
  for (const auto& e : doc.at("traceEvents"))
    if (e.at("ph") != "M" && e.at("name").get<std::string>().rfind(prefix, 0) == 0)
      out.push_back(e);
  return out;
}

}  // namespace cbit::testutil
