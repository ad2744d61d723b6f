#include "sw/owner/snp_rp_verdict.h"

#include <fmt/format.h>

namespace cbit::sw::owner {

const char* rp_status_name(RpCheck::Status s) {
  switch (s) {
    case RpCheck::Status::Pass:
      return "pass";
    case RpCheck::Status::Fail:
      return "fail";
    case RpCheck::Status::Skip:
      return "skip";
  }
  return "?";
}

const RpCheck* RpVerdict::find(std::string_view name) const {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

void RpVerdict::pass(std::string name, std::string detail) {
  checks.push_back({std::move(name), RpCheck::Status::Pass, std::move(detail)});
}

void RpVerdict::fail(std::string name, std::string detail) {
  if (first_failure.empty()) {
    first_failure = name;
    reason = detail;
  }
  checks.push_back({std::move(name), RpCheck::Status::Fail, std::move(detail)});
}

void RpVerdict::skip(std::string name, std::string detail) {
  checks.push_back({std::move(name), RpCheck::Status::Skip, std::move(detail)});
}

void RpVerdict::finish() { accepted = first_failure.empty() && !checks.empty(); }

std::string RpVerdict::render() const {
  std::string out;
  for (const auto& c : checks) {
    const char* tag = c.status == RpCheck::Status::Pass   ? "[ PASS ]"
                      : c.status == RpCheck::Status::Fail ? "[ FAIL ]"
                                                          : "[ SKIP ]";
    out += fmt::format("{} {}: {}\n", tag, c.name, c.detail);
  }
  out += accepted ? "relying party: ACCEPTED, the secret may be released\n"
                  : fmt::format("relying party: REFUSED at '{}': {}\n", first_failure, reason);
  return out;
}

nlohmann::json RpVerdict::to_json() const {
  nlohmann::json j;
  j["accepted"] = accepted;
  j["first_failure"] = first_failure;
  j["reason"] = reason;
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks)
    j["checks"].push_back(
        {{"name", c.name}, {"status", rp_status_name(c.status)}, {"detail", c.detail}});
  return j;
}

}  // namespace cbit::sw::owner
