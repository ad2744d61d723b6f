// The cache's write-allocate without a fill for a write that replaces a whole line (when no bus
// observer would see the fill's read), and its O(1) WBINVD of an empty cache. Both must leave
// memory exactly as the full model does: a partial write still merges with memory, and with an
// observer on the bus the read-for-ownership is still there (the control).
#include <gtest/gtest.h>

#include <vector>

#include "hw/cache/cache.h"
#include "hw/memctrl/bus_observer.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw {
namespace {

struct Rig {
  Rig() : dram(16 << 20), mc(dram, nullptr, CipherMode::Xex, 4, false), sp(mc, 77), cache(mc, {}) {}
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;
  Cache cache;
};

struct Reads final : BusObserver {
  std::vector<SysPhysAddr> reads;
  void on_dram_access(BusDir dir, SysPhysAddr pa, ByteSpan) override {
    if (dir == BusDir::Read) reads.push_back(pa);
  }
};

TEST(CacheWholeLineWrite, SameMemoryAsWithTheFill) {
  Rig r;
  for (const MemAttr attr : {MemAttr::plain(), MemAttr::host_encrypted()}) {
    // Memory already holds data under the same key: a partial write must keep its other bytes.
    const Bytes old(128, 0x33);
    r.cache.write(SysPhysAddr(0x4000), old, attr);
    r.cache.wbinvd();
    Bytes line(64, 0x77), half(32, 0x55);
    r.cache.write(SysPhysAddr(0x4000), line, attr);  // whole line, a miss
    r.cache.write(SysPhysAddr(0x4040), half, attr);  // half a line, a miss: filled
    r.cache.wbinvd();
    Bytes back(128);
    r.cache.read(SysPhysAddr(0x4000), back, attr);
    Bytes want(128, 0x33);
    std::fill_n(want.begin(), 64, 0x77);
    std::fill_n(want.begin() + 64, 32, 0x55);
    EXPECT_EQ(back, want);
  }
}

TEST(CacheWholeLineWrite, ObservedBusStillSeesTheFill) {
  Rig r;
  Reads bus;
  r.mc.add_observer(&bus);
  r.cache.write(SysPhysAddr(0x8000), Bytes(64, 1), MemAttr::plain());
  ASSERT_EQ(bus.reads.size(), 1u);  // the read-for-ownership of the line
  EXPECT_EQ(bus.reads[0], SysPhysAddr(0x8000));
  // Control: without the observer the same write reads nothing, yet stores the same bytes.
  r.mc.remove_observer(&bus);
  r.cache.write(SysPhysAddr(0x9000), Bytes(64, 2), MemAttr::plain());
  r.mc.add_observer(&bus);
  r.cache.wbinvd();
  EXPECT_EQ(bus.reads.size(), 1u);
  Bytes raw(64);
  r.dram.read(SysPhysAddr(0x9000), raw);
  EXPECT_EQ(raw, Bytes(64, 2));
}

TEST(CacheWholeLineWrite, WbinvdOfAnEmptyCacheAndAfterARefill) {
  Rig r;
  r.cache.wbinvd();  // empty: nothing to do
  EXPECT_EQ(r.cache.stats().writebacks, 0u);
  r.cache.write(SysPhysAddr(0xa000), Bytes(64, 9), MemAttr::plain());
  r.cache.wbinvd();
  EXPECT_EQ(r.cache.stats().writebacks, 1u);
  r.cache.wbinvd();  // emptied by the first
  EXPECT_EQ(r.cache.stats().writebacks, 1u);
  // Refilled after the flush: the next WBINVD must write the dirty line back again.
  r.cache.write(SysPhysAddr(0xa000), Bytes(64, 10), MemAttr::plain());
  EXPECT_EQ(r.cache.copies_of(SysPhysAddr(0xa000)), 1u);
  r.cache.wbinvd();
  EXPECT_EQ(r.cache.stats().writebacks, 2u);
  Bytes raw(64);
  r.dram.read(SysPhysAddr(0xa000), raw);
  EXPECT_EQ(raw, Bytes(64, 10));
}

}  // namespace
}  // namespace cbit::hw
