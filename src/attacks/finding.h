// What an attack reports: how much it saw and where the searched-for secrets turned up.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace cbit::attacks {

struct Hit {
  uint64_t address;  // system physical address (or offset in a removed module's image)
  std::string needle;
};

struct AttackReport {
  std::string attack;   // "cold-boot", "nvdimm-removal", "bus-snoop", "dma-read"
  std::string summary;  // one human line
  uint64_t bytes_seen = 0;
  uint64_t pages_seen = 0;
  std::vector<Hit> hits;
  size_t count(const std::string& needle) const;
  nlohmann::json to_json() const;
};

// Searches a buffer that starts at `base` for each needle, appending hits.
void search_into(AttackReport& r, uint64_t base, ByteSpan data,
                 const std::vector<std::string>& needles);

}  // namespace cbit::attacks
