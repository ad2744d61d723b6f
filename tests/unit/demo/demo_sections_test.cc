// Every demonstration behaves as the hardware does, on every CPU generation (a matrix, like
// the KVM selftests): each section's checks include its control case.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "demo/demo.h"

namespace cbit::demo {
namespace {

class DemoMatrix : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(DemoMatrix, AllChecksPass) {
  const auto& [cpu, section] = GetParam();
  // A directory of its own: the sections create their files exclusively.
  std::string tmpl = (std::filesystem::temp_directory_path() / "cbit-demo-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  DemoOptions opt;
  opt.cpu = cpu;
  opt.seed = 11;
  opt.workdir = dir.string();
  const Section s = run_section(section, opt);
  for (const auto& c : s.checks) EXPECT_TRUE(c.ok) << cpu << " / " << section << ": " << c.what;
  EXPECT_GE(s.checks.size(), 4u);
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Generations, DemoMatrix,
    ::testing::Combine(::testing::Values("naples", "rome", "milan", "genoa", "turin"),
                       ::testing::Values("sme-full", "sme-partial", "smetest", "dma")),
    [](const auto& info) {
      std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
      for (auto& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

// The SEV sections boot three VMs each (off, SEV, SEV-ES): the seeds' XE-mode machine and a
// C-bit-51 XEX part are enough to cover both address layouts and cipher modes.
INSTANTIATE_TEST_SUITE_P(SevGenerations, DemoMatrix,
                         ::testing::Combine(::testing::Values("naples", "milan"),
                                            ::testing::Values("sev-guest", "sev-shared",
                                                              "sev-attacks")),
                         [](const auto& info) {
                           std::string n = std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (auto& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(Demo, SeedMakesRunsReproducibleAndKeysDifferBetweenSeeds) {
  DemoOptions a, b, c;
  a.seed = b.seed = 1;
  c.seed = 2;
  const auto sa = run_smetest(a), sb = run_smetest(b), sc = run_smetest(c);
  EXPECT_EQ(sa.data["without_cbit"], sb.data["without_cbit"]);
  EXPECT_NE(sa.data["without_cbit"], sc.data["without_cbit"]);
}

TEST(Demo, UnseededRunsGetFreshKeys) {
  DemoOptions a, b;  // no seed: the OS RNG, as a real part at each reset
  EXPECT_NE(run_smetest(a).data["without_cbit"], run_smetest(b).data["without_cbit"]);
}

}  // namespace
}  // namespace cbit::demo
