// Sanity of the generated spec tables themselves: each table the conformance tests rely on is
// present and has the size the spec gives it.
#include "spec_tables.inc"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace {
struct Named {
  const char* name;
  uint64_t value;
};
constexpr Named kCommands[] = {CBIT_SPEC_PSP_COMMANDS};
constexpr Named kStatus[] = {CBIT_SPEC_STATUS_CODES};
constexpr Named kReport[] = {CBIT_SPEC_REPORT_OFFSETS};
}  // namespace

TEST(SpecTables, GeneratedFromSpecFacts) {
  EXPECT_EQ(std::size(kCommands), 42u);
  EXPECT_EQ(std::size(kStatus), 35u);
  EXPECT_EQ(kReport[std::size(kReport) - 1].value, 0x2A0u);  // signature is last
}
