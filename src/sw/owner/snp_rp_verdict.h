// The verdict of the SNP relying party (snp_relying_party.h): every check it ran, in order,
// with its outcome and a one-line reason, and the first one that failed. A verdict never holds
// a key or the secret.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cbit::sw::owner {

struct RpCheck {
  enum class Status { Pass, Fail, Skip };
  std::string name;  // "signature", "chain", "nonce", ... (snp_relying_party.h lists them)
  Status status = Status::Skip;
  std::string detail;
};
const char* rp_status_name(RpCheck::Status s);  // "pass", "fail", "skip"

struct RpVerdict {
  bool accepted = false;
  std::vector<RpCheck> checks;
  std::string first_failure;  // the name of the first failed check ("" when accepted)
  std::string reason;         // its detail

  // The check of that name, or nullptr.
  const RpCheck* find(std::string_view name) const;
  void pass(std::string name, std::string detail);
  void fail(std::string name, std::string detail);
  void skip(std::string name, std::string detail);
  // accepted = no check failed (call once all checks ran).
  void finish();

  std::string render() const;  // "[ PASS ] signature: ..." per line, then the verdict
  nlohmann::json to_json() const;
};

}  // namespace cbit::sw::owner
