// Every demonstration behaves as the hardware does, on every CPU generation (a matrix, like
// the KVM selftests): each section's checks include its control case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "demo/demo.h"
#include "unit/temp_dir.h"

namespace cbit::demo {
namespace {

class DemoMatrix : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(DemoMatrix, AllChecksPass) {
  const auto& [cpu, section] = GetParam();
  const testutil::UniqueTempDir tmp("cbit-demo-test-" + cpu + "-" + section);
  const auto& dir = tmp.path();
  DemoOptions opt;
  opt.cpu = cpu;
  opt.seed = 11;
  opt.workdir = dir.string();
  const Section s = run_section(section, opt);
  for (const auto& c : s.checks) EXPECT_TRUE(c.ok) << cpu << " / " << section << ": " << c.what;
  EXPECT_GE(s.checks.size(), 4u);
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
  // smetest runs examples/scenarios/smetest.toml: its data are the steps' results by id, and
  // "sme.decrypted" is ioctl(f, 1), the ciphertext read without the C-bit.
  const auto cipher = [](const DemoOptions& o) {
    return run_section("smetest", o).data["sme.decrypted"]["hex"];
  };
  const auto sa = cipher(a), sb = cipher(b), sc = cipher(c);
  EXPECT_FALSE(sa.is_null() || sa.get<std::string>().empty());
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
}

// A section from a scenario file runs on the file's CPU unless the user's --cpu overrides it;
// its transcript holds its check lines and its data the steps' results.
TEST(Demo, ScenarioSectionsKeepTheirFilesCpuUnlessOverridden) {
  const testutil::UniqueTempDir tmp("cbit-demo-file-cpu");
  DemoOptions opt;
  opt.seed = 2;
  opt.workdir = tmp.path().string();
  opt.cpu = "milan";
  ASSERT_EQ(section_file("sme-full"), "examples/scenarios/sme-full.toml");
  EXPECT_EQ(section_file("no-such-section"), "");
  opt.cpu_overrides_files = false;
  const Section own = run_section("sme-full", opt);
  EXPECT_EQ(own.data["off.m"]["cpu"], "naples");  // [scenario] cpu
  EXPECT_TRUE(own.checks_in_lines);
  EXPECT_EQ(own.file, "examples/scenarios/sme-full.toml");
  opt.cpu_overrides_files = true;
  const Section milan = run_section("sme-full", opt);
  EXPECT_EQ(milan.data["off.m"]["cpu"], "milan");
  EXPECT_TRUE(milan.ok());
}

TEST(Demo, UnseededRunsGetFreshKeys) {
  DemoOptions a, b;  // no seed: the OS RNG, as a real part at each reset
  EXPECT_NE(run_section("smetest", a).data["sme.decrypted"]["hex"],
            run_section("smetest", b).data["sme.decrypted"]["hex"]);
}

}  // namespace
}  // namespace cbit::demo
