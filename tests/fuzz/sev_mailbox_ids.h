// How the mailbox fuzzer (fuzz_sev_mailbox.cc) turns one input byte into a command id, from the
// firmware's own tables, so a command added later is fuzzed without touching the fuzzer; the
// unit test tests/unit/psp/sev_mailbox_fuzz_reach_test.cc fails if any id of the tables is out
// of reach.
//
// The table: every id the dispatcher handles (SevFirmware::dispatched_commands, weighted three
// to one), every id of the API (known_commands: the firmware answers INVALID_COMMAND to those
// it does not implement), and a few ids nobody knows. A byte that is itself one of the table's ids
// selects that id, so a corpus file reads as command ids (0x30 is LAUNCH_START); every other byte
// selects the table entry at its rank among those other bytes, modulo the table's size.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::fuzz {

// Ids outside every table: gaps between command groups, the top of CMDRESP's id field and one
// past it, and all ones.
inline constexpr uint32_t kUnknownMailboxIds[] = {0x00, 0x0B,  0x0E,  0x1F,      0x7F,
                                                  0xFF, 0x3FF, 0x400, 0xFFFFFFFF};

inline std::vector<uint32_t> mailbox_id_table() {
  using namespace cbit::hw::psp::sev;
  std::vector<uint32_t> ids;
  const auto add = [&](uint32_t id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  };
  // The dispatched commands three times over: that is where the firmware's code is.
  for (int pass = 0; pass < 3; ++pass)
    for (SevCmd c : SevFirmware::dispatched_commands()) ids.push_back(static_cast<uint32_t>(c));
  for (SevCmd c : known_commands()) add(static_cast<uint32_t>(c));
  for (uint32_t id : kUnknownMailboxIds) add(id);
  return ids;
}

// The id each selector byte picks (see above).
inline std::array<uint32_t, 256> mailbox_selector_map(const std::vector<uint32_t>& table) {
  std::array<uint32_t, 256> map{};
  size_t rank = 0;
  for (uint32_t b = 0; b < 256; ++b)
    map[b] =
        std::find(table.begin(), table.end(), b) != table.end() ? b : table[rank++ % table.size()];
  return map;
}

inline uint32_t mailbox_id(uint8_t selector) {
  static const std::array<uint32_t, 256> map = mailbox_selector_map(mailbox_id_table());
  return map[selector];
}

}  // namespace cbit::fuzz
