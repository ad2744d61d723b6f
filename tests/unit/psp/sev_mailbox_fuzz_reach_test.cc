// The mailbox fuzzer's reach: every command id the firmware knows (its dispatch table and the
// API's table) must be one that some selector byte of tests/fuzz/fuzz_sev_mailbox.cc produces,
// so a command added later (SNP) is fuzzed or this fails.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fuzz/sev_mailbox_ids.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sev_firmware.h"

namespace cbit::hw::psp::sev {
namespace {

std::set<uint32_t> reachable(const std::array<uint32_t, 256>& map) {
  return std::set<uint32_t>(map.begin(), map.end());
}

std::set<uint32_t> firmware_ids() {
  std::set<uint32_t> ids;
  for (SevCmd c : SevFirmware::dispatched_commands()) ids.insert(static_cast<uint32_t>(c));
  for (SevCmd c : known_commands()) ids.insert(static_cast<uint32_t>(c));
  return ids;
}

TEST(SevMailboxFuzzReach, EveryIdTheFirmwareKnowsIsProduced) {
  std::set<uint32_t> produced;
  for (unsigned b = 0; b < 256; ++b) produced.insert(fuzz::mailbox_id(static_cast<uint8_t>(b)));
  const std::set<uint32_t> known = firmware_ids();
  ASSERT_GE(known.size(), SevFirmware::dispatched_commands().size());
  for (uint32_t id : known) {
    const auto cmd = static_cast<SevCmd>(id);
    EXPECT_TRUE(produced.count(id))
        << "the mailbox fuzzer never sends 0x" << std::hex << id << " " << name(cmd);
  }
  // And ids nobody knows, which must answer INVALID_COMMAND.
  const auto unknown = std::count_if(produced.begin(), produced.end(),
                                     [&](uint32_t id) { return !known.count(id); });
  EXPECT_GE(unknown, 3);
}

TEST(SevMailboxFuzzReach, DispatchedCommandsAreKnownToTheApi) {
  // The dispatcher and the API table name the same commands (so INVALID_COMMAND is only ever
  // the answer to an id outside the dispatch table).
  for (SevCmd c : SevFirmware::dispatched_commands()) {
    EXPECT_TRUE(is_known_command(static_cast<uint32_t>(c))) << static_cast<uint32_t>(c);
    EXPECT_NE(name(c), "UNKNOWN");
  }
}

TEST(SevMailboxFuzzReach, AByteThatIsAnIdSelectsItself) {
  // Corpus files are written with command ids (0x30 is LAUNCH_START).
  for (SevCmd c : known_commands()) {
    const uint32_t id = static_cast<uint32_t>(c);
    if (id < 256) {
      EXPECT_EQ(fuzz::mailbox_id(static_cast<uint8_t>(id)), id);
    }
  }
}

TEST(SevMailboxFuzzReach, TheCheckFailsForATableTooLargeForOneByte) {
  // Control: with more ids than 256 selector bytes can pick, some are out of reach, and the
  // reach computation above notices.
  std::vector<uint32_t> table;
  for (uint32_t id = 0x1000; id < 0x1000 + 300; ++id) table.push_back(id);
  const auto produced = reachable(fuzz::mailbox_selector_map(table));
  EXPECT_LT(produced.size(), table.size());
  // And a table of ids above 0xFF is still reached in full while it fits.
  table.resize(200);
  EXPECT_EQ(reachable(fuzz::mailbox_selector_map(table)).size(), table.size());
}

}  // namespace
}  // namespace cbit::hw::psp::sev
