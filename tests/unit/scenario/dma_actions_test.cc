// DMA under SME as actions (scenario/actions/dma.cc): a 64-bit device puts the C-bit in its bus
// address, a 32-bit one needs swiotlb (without it the DMA API refuses), a driver bypassing the
// DMA API makes the device read ciphertext and write garbage; the control with SME off works.
#include <gtest/gtest.h>

#include "unit/input_error.h"
#include "unit/scenario/sme_rig.h"

namespace cbit::scenario {
namespace {

using testutil::SmeRig;

nlohmann::json transfer(const std::string& cmdline, uint64_t mask, uint64_t swiotlb,
                        const std::string& via) {
  SmeRig r(cmdline, swiotlb);
  const auto d = r.step("dma-device", {{"id", "nic"}, {"dma_mask", mask}});
  EXPECT_EQ(d["reaches_cbit"], mask == 64);
  return r.step("dma-transfer", {{"device", "nic"}, {"via", via}});
}

TEST(DmaActions, SixtyFourBitDeviceSetsTheCBit) {
  const auto t = transfer("mem_encrypt=on", 64, 1ull << 20, "dma_map_single");
  EXPECT_EQ(t["mapped"], true);
  EXPECT_EQ(t["bounced"], false);
  EXPECT_NE(t["dma_addr"].get<uint64_t>() & (1ull << 47), 0u) << "naples: C-bit 47";
  EXPECT_EQ(t["device_reads_payload"], true);
  EXPECT_EQ(t["cpu_reads_packet"], true);
}

TEST(DmaActions, ThirtyTwoBitDeviceGoesThroughSwiotlb) {
  const auto t = transfer("mem_encrypt=on", 32, 1ull << 20, "dma_map_single");
  EXPECT_EQ(t["bounced"], true);
  EXPECT_EQ(t["device_reads_payload"], true);
  EXPECT_EQ(t["cpu_reads_packet"], true);
}

TEST(DmaActions, WithoutSwiotlbTheMappingIsRefused) {
  const auto t = transfer("mem_encrypt=on", 32, 0, "dma_map_single");
  EXPECT_EQ(t["mapped"], false);
  EXPECT_EQ(t["device_reads_payload"], false);
  EXPECT_NE(t["dmesg"].get<std::string>().find("overflow"), std::string::npos) << t["dmesg"];
}

TEST(DmaActions, BypassingTheDmaApiTheDeviceReadsCiphertext) {
  const auto t = transfer("mem_encrypt=on", 32, 1ull << 20, "virt_to_phys");
  EXPECT_EQ(t["mapped"], true);
  EXPECT_EQ(t["device_reads_payload"], false);
  EXPECT_EQ(t["cpu_reads_packet"], false);
  // Control: the same driver with SME off works.
  const auto c = transfer("mem_encrypt=off", 32, 1ull << 20, "virt_to_phys");
  EXPECT_EQ(c["device_reads_payload"], true);
  EXPECT_EQ(c["cpu_reads_packet"], true);
}

TEST(DmaActions, BadInputNamesTheKey) {
  using cbit::testutil::error_of;
  SmeRig r("mem_encrypt=on");
  EXPECT_NE(error_of([&] {
              r.step("dma-device", {{"dma_mask", 65}});
            }).find("key 'dma_mask'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { r.step("dma-transfer", {}); }).find("dma-device"), std::string::npos);
  r.step("dma-device", {{"id", "d"}, {"dma_mask", 40}});
  EXPECT_NE(error_of([&] {
              r.step("dma-transfer", {{"send", std::string(3000, 'x')}});
            }).find("key 'send'"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { r.step("dma-transfer", {{"device", "d"}}); }), "");
}

}  // namespace
}  // namespace cbit::scenario
