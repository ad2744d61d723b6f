// Args over a step's keys held as JSON (what the parser makes of a [[step]] table after
// checking it against the action's declared keys), with each key's source position for
// run-time errors. Tests build one directly: JsonArgs({{"find", {"x"}}}).
#pragma once
#include <map>
#include <string>

#include "scenario/action.h"

namespace cbit::scenario {

// "64M", "4K", "1G", "2MiB", "4096", "0x1000" -> bytes; nullopt on anything else or overflow.
std::optional<uint64_t> parse_size(std::string_view s);

class JsonArgs final : public Args {
 public:
  // `where` is the step's position ("file.toml:12:1 (step 3)"); `key_where` the positions of
  // individual keys ("file.toml:14:8"), where known.
  explicit JsonArgs(nlohmann::json values, std::string where = "scenario",
                    std::map<std::string, std::string, std::less<>> key_where = {});
  bool has(std::string_view key) const override;
  std::string str(std::string_view key, std::string_view dflt = "") const override;
  uint64_t u64(std::string_view key, uint64_t dflt = 0) const override;
  bool flag(std::string_view key, bool dflt = false) const override;
  uint64_t size(std::string_view key, uint64_t dflt = 0) const override;
  std::vector<std::string> strings(std::string_view key) const override;
  nlohmann::json table(std::string_view key) const override;
  std::string where(std::string_view key) const override;

 private:
  const nlohmann::json* find(std::string_view key) const;
  [[noreturn]] void wrong(std::string_view key, const char* want) const;
  nlohmann::json v_;
  std::string where_;
  std::map<std::string, std::string, std::less<>> key_where_;
};

}  // namespace cbit::scenario
