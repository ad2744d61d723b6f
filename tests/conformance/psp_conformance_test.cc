// The SEV firmware's numbers against the spec tables generated from docs/SPEC-FACTS.md: every
// command id, status code, platform state, guest state and policy bit, matched by name.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "hw/psp/sev/sev_api.h"
#include "spec_tables.inc"

namespace {

using namespace cbit::hw::psp::sev;

struct Named {
  const char* name;
  uint64_t value;
};
constexpr Named kCommands[] = {CBIT_SPEC_PSP_COMMANDS};
constexpr Named kStatus[] = {CBIT_SPEC_STATUS_CODES};
constexpr Named kPlatformStates[] = {CBIT_SPEC_PLATFORM_STATES};
constexpr Named kGuestStates[] = {CBIT_SPEC_SEV_GUEST_STATES};
constexpr Named kPolicyBits[] = {CBIT_SPEC_SEV_POLICY_BITS};

TEST(PspConformance, EveryCommandIdByName) {
  for (const auto& row : kCommands) {
    const auto c = sev_cmd_by_name(row.name);
    ASSERT_TRUE(c.has_value()) << "no SevCmd named " << row.name;
    EXPECT_EQ(static_cast<uint64_t>(*c), row.value) << row.name;
    EXPECT_EQ(name(*c), row.name);
    EXPECT_TRUE(is_known_command(static_cast<uint32_t>(row.value)));
  }
}

TEST(PspConformance, EveryStatusCodeByName) {
  for (const auto& row : kStatus) {
    const auto s = sev_status_by_name(row.name);
    ASSERT_TRUE(s.has_value()) << "no SevStatus named " << row.name;
    EXPECT_EQ(static_cast<uint64_t>(*s), row.value) << row.name;
    EXPECT_NE(describe(*s), "unknown status code") << row.name;
  }
  EXPECT_FALSE(sev_status_by_name("NOT_A_STATUS").has_value());  // control
}

TEST(PspConformance, StatesAndPolicyBits) {
  for (const auto& row : kPlatformStates) {
    const auto s = platform_state_by_name(row.name);
    ASSERT_TRUE(s.has_value()) << row.name;
    EXPECT_EQ(static_cast<uint64_t>(*s), row.value) << row.name;
  }
  for (const auto& row : kGuestStates) {
    const auto s = guest_state_by_name(row.name);
    ASSERT_TRUE(s.has_value()) << row.name;
    EXPECT_EQ(static_cast<uint64_t>(*s), row.value) << row.name;
  }
  for (const auto& row : kPolicyBits) {
    const auto b = policy_bit_by_name(row.name);
    ASSERT_TRUE(b.has_value()) << row.name;
    EXPECT_EQ(static_cast<uint64_t>(*b), row.value) << row.name;
  }
  EXPECT_EQ(std::size(kPlatformStates), 3u);
  EXPECT_EQ(std::size(kGuestStates), 7u);
  EXPECT_EQ(std::size(kPolicyBits), 6u);
}

// The commands this model implements (the legacy SEV and SEV-ES launch) are all in the table.
TEST(PspConformance, ImplementedCommandsAreInTheSpecTable) {
  for (const char* n :
       {"INIT", "INIT_EX", "SHUTDOWN", "PLATFORM_STATUS", "DF_FLUSH", "GET_ID", "LAUNCH_START",
        "LAUNCH_UPDATE_DATA", "LAUNCH_UPDATE_VMSA", "LAUNCH_MEASURE", "LAUNCH_SECRET",
        "LAUNCH_FINISH", "ACTIVATE", "DEACTIVATE", "DECOMMISSION", "GUEST_STATUS", "DBG_DECRYPT",
        "DBG_ENCRYPT"}) {
    bool found = false;
    for (const auto& row : kCommands) found |= std::string(row.name) == n;
    EXPECT_TRUE(found) << n;
  }
}

}  // namespace
