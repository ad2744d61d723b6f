// The measure fixtures are deterministic (their digests in measure_digest_table_test.cc depend
// on it), and can be written out to re-derive those digests with sev-snp-measure:
//   CBIT_MEASURE_WRITE_FIXTURES=/tmp/fx cbit_tests --gtest_filter=MeasureFixtures.*
#include "unit/tools/measure_fixtures.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/file.h"
#include "crypto/hash.h"

namespace cbit {
namespace {

TEST(MeasureFixtures, AreDeterministicAndWritable) {
  const auto fw = testutil::measure_firmwares();
  ASSERT_EQ(fw.size(), 12u);
  // Fixed by the generator; a change here invalidates every expected digest.
  EXPECT_EQ(to_hex(crypto::sha256(testutil::build_firmware(fw.at("amdsev")))),
            "3d08152985edab28419b6378d585884999e6c234775851940b08463a4429037c");
  EXPECT_EQ(testutil::build_firmware(fw.at("amdsev")).size(), 16u * 4096);
  EXPECT_EQ(testutil::build_firmware(fw.at("trailing")).size(), 8u * 4096 + 3);
  EXPECT_NE(testutil::build_firmware(fw.at("x64")), testutil::build_firmware(fw.at("eip0")));
  if (const char* dir = std::getenv("CBIT_MEASURE_WRITE_FIXTURES")) {
    std::filesystem::create_directories(dir);
    for (const auto& [name, s] : fw)
      write_file_atomic(std::string(dir) + "/" + name + ".fd", testutil::build_firmware(s));
    write_file_atomic(std::string(dir) + "/kernel", testutil::measure_kernel());
    write_file_atomic(std::string(dir) + "/initrd", testutil::measure_initrd());
  }
}

}  // namespace
}  // namespace cbit
