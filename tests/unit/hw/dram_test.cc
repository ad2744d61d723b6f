#include "hw/dram/dram.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "hw/dram/nvdimm.h"
#include "unit/temp_dir.h"

namespace cbit::hw {

TEST(Dram, TerabyteAddressSpaceSpendsOnlyTouchedPages) {
  Dram dram(1ull << 40);
  EXPECT_EQ(dram.touched_pages(), 0u);
  const uint8_t msg[] = "hello";
  dram.write(SysPhysAddr((1ull << 40) - 4096), ByteSpan(msg, sizeof msg));
  dram.write(SysPhysAddr(0x12345000), ByteSpan(msg, sizeof msg));
  EXPECT_EQ(dram.touched_pages(), 2u);
  EXPECT_LT(dram.host_bytes(), 4u << 20);  // one 2 MiB slab plus bookkeeping
  uint8_t back[sizeof msg] = {};
  dram.read(SysPhysAddr((1ull << 40) - 4096), MutByteSpan(back, sizeof back));
  EXPECT_EQ(std::memcmp(back, msg, sizeof msg), 0);
}

TEST(Dram, UntouchedReadsZeroAndDoesNotAllocate) {
  Dram dram(1ull << 30);
  uint8_t buf[64];
  std::memset(buf, 0xaa, sizeof buf);
  dram.read(SysPhysAddr(0x1000), buf);
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
  EXPECT_EQ(dram.touched_pages(), 0u);
}

TEST(Dram, AccessSpanningPagesAndPowerLoss) {
  Dram dram(1ull << 20);
  Bytes data(6000, 0x5a);
  dram.write(SysPhysAddr(0x0ff0), data);
  EXPECT_EQ(dram.touched_pages(), 3u);
  Bytes back(6000);
  dram.read(SysPhysAddr(0x0ff0), back);
  EXPECT_EQ(back, data);
  dram.lose_power();
  dram.read(SysPhysAddr(0x0ff0), back);
  EXPECT_EQ(back, Bytes(6000, 0));
}

TEST(Dram, ZerosIntoAnUntouchedPageStoreNothing) {
  Dram dram(1ull << 30);
  dram.write(SysPhysAddr(0x10000), Bytes(3 * kPageSize, 0));  // three whole pages
  dram.write(SysPhysAddr(0x20040), Bytes(64, 0));             // one line
  EXPECT_EQ(dram.touched_pages(), 0u);
  EXPECT_EQ(dram.page_if_present(Pfn(0x10)), nullptr);
  Bytes back(3 * kPageSize, 0xaa);
  dram.read(SysPhysAddr(0x10000), back);
  EXPECT_EQ(back, Bytes(3 * kPageSize, 0));
  // Control: one non-zero byte in the range allocates exactly the page it lands in.
  Bytes mostly_zero(3 * kPageSize, 0);
  mostly_zero[kPageSize + 5] = 1;
  dram.write(SysPhysAddr(0x10000), mostly_zero);
  EXPECT_EQ(dram.touched_pages(), 1u);
  EXPECT_NE(dram.page_if_present(Pfn(0x11)), nullptr);
  dram.read(SysPhysAddr(0x10000), back);
  EXPECT_EQ(back, mostly_zero);
}

TEST(Dram, ZerosOverDataReallyClearIt) {
  // The fast path must not skip a page that holds data: a zero-fill over an old secret leaves
  // nothing for a cold-boot or scan reader.
  Dram dram(1ull << 30);
  const Bytes secret(kPageSize, 0x5a);
  dram.write(SysPhysAddr(0x40000), secret);
  dram.write(SysPhysAddr(0x41000), secret);
  dram.write(SysPhysAddr(0x40000), Bytes(kPageSize, 0));  // the whole page
  dram.write(SysPhysAddr(0x41100), Bytes(64, 0));         // one line of the next
  Bytes back(2 * kPageSize);
  dram.read(SysPhysAddr(0x40000), back);
  EXPECT_EQ(Bytes(back.begin(), back.begin() + kPageSize), Bytes(kPageSize, 0));
  for (size_t i = 0; i < kPageSize; ++i)
    EXPECT_EQ(back[kPageSize + i], (i >= 0x100 && i < 0x140) ? 0 : 0x5a) << i;
  // The raw view (cold boot, scan) sees the zeros too.
  size_t visited = 0;
  dram.for_each_touched([&](Pfn pfn, const uint8_t* d) {
    ++visited;
    if (pfn.value == 0x40) {
      EXPECT_TRUE(std::all_of(d, d + kPageSize, [](uint8_t b) { return b == 0; }));
    }
  });
  EXPECT_EQ(visited, 2u);
}

TEST(Nvdimm, PersistsInItsFileAcrossInstances) {
  const testutil::UniqueTempDir tmp("cbit-nv");
  const auto path = tmp.path() / "nvdimm.img";
  const uint8_t msg[] = "persistent";
  {
    Nvdimm nv(path.string(), SysPhysAddr(1ull << 32), 1 << 20);
    nv.write(SysPhysAddr((1ull << 32) + 0x2000), ByteSpan(msg, sizeof msg));
  }
  {
    Nvdimm nv(path.string(), SysPhysAddr(1ull << 32), 1 << 20);
    uint8_t back[sizeof msg] = {};
    nv.read(SysPhysAddr((1ull << 32) + 0x2000), MutByteSpan(back, sizeof back));
    EXPECT_EQ(std::memcmp(back, msg, sizeof msg), 0);
  }
  // A file of the wrong size is refused with the file's name in the message.
  try {
    Nvdimm nv(path.string(), SysPhysAddr(1ull << 32), 2 << 20);
    FAIL() << "wrong-size NVDIMM file accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
  }
}

}  // namespace cbit::hw
