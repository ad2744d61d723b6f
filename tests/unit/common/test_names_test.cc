// ctest names a value-parameterised test by its instantiation name and the value gtest prints
// for its parameter (CMake's gtest_discover_tests keeps "# GetParam() = ..."). A parameter gtest
// cannot print comes out as its bytes ("16-byte object <01-00 ... C3-48 30-A8 DF-55 00-00>"),
// pointers among them, so the name changes between builds and ctest -R patterns miss it. Every
// parameterised test here needs a name generator and a printable parameter (a PrintTo).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hw/memctrl/aes_engine.h"
#include "psp/digest/launch_plan.h"
#include "psp/digest/vmsa.h"

namespace cbit {
namespace {

// What gtest prints for a value it has no printer for.
bool unstable(const std::string& printed) {
  return printed.find("-byte object <") != std::string::npos;
}

TEST(TestNames, EveryParameterPrintsAsAStableValue) {
  const auto& unit = *::testing::UnitTest::GetInstance();
  std::vector<std::string> bad;
  size_t params = 0;
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const auto& suite = *unit.GetTestSuite(s);
    for (int t = 0; t < suite.total_test_count(); ++t) {
      const auto& info = *suite.GetTestInfo(t);
      if (!info.value_param()) continue;
      ++params;
      if (unstable(info.value_param()))
        bad.push_back(std::string(suite.name()) + "." + info.name() + " = " + info.value_param());
    }
  }
  EXPECT_GT(params, 0u);  // the scan saw the parameterised tests
  for (const auto& b : bad) ADD_FAILURE() << b;
}

TEST(TestNames, ControlAnUnprintableStructIsFlagged) {
  struct Opaque {
    const char* p;
    int n;
  };
  EXPECT_TRUE(unstable(::testing::PrintToString(Opaque{"x", 1})));
  EXPECT_FALSE(unstable(::testing::PrintToString(std::string("EPYC-v4 x1"))));
}

// The shared enums that parameterise tests print by name through the printer declared beside
// each enum, so every file that includes the enum's header prints it alike (this file defines
// no printer of its own).
TEST(TestNames, SharedEnumsPrintTheirNamesInEveryFile) {
  EXPECT_EQ(::testing::PrintToString(psp::digest::SevMode::SevEs), "SEV_ES");
  EXPECT_EQ(::testing::PrintToString(psp::digest::SevMode::Snp), "SEV_SNP");
  EXPECT_EQ(::testing::PrintToString(psp::digest::VmmType::Ec2), "ec2");
  EXPECT_EQ(::testing::PrintToString(hw::AesBackend::Vaes), "Vaes");
  EXPECT_EQ(::testing::PrintToString(hw::AesBackend::Portable), "Portable");
  EXPECT_FALSE(unstable(::testing::PrintToString(hw::AesBackend::Auto)));
}

}  // namespace
}  // namespace cbit
