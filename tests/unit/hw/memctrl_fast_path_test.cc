// The memory controller's and the cache's fast paths give the bytes of their general paths
// (issue 9 §5): the engine working on DRAM's storage directly (no bus observer, not the NVDIMM)
// against the buffered path an observer forces, and a DMA snoop over a range that covers every
// cache set (one visit per line) against the same snoop in small pieces (one visit per address).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hw/cache/cache.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw {
namespace {

struct Rig {
  Rig() : dram(16 << 20), mc(dram, nullptr, CipherMode::Xex, 4, false), sp(mc, 77) {}
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;  // seeded: every rig has the same host key
  Bytes raw(uint64_t pa, size_t n) {
    Bytes b(n);
    dram.read(SysPhysAddr(pa), b);
    return b;
  }
};

struct Recorder final : BusObserver {
  std::vector<std::pair<BusDir, Bytes>> seen;
  void on_dram_access(BusDir dir, SysPhysAddr, ByteSpan raw) override {
    seen.emplace_back(dir, Bytes(raw.begin(), raw.end()));
  }
};

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TEST(MemoryControllerFastPath, DirectDramWriteAndReadEqualTheObservedPath) {
  Rig direct, observed;
  Recorder rec;
  observed.mc.add_observer(&rec);
  const EncTag host = direct.mc.resolve(MemAttr::host_encrypted());
  // Three pages and a bit, starting 64 bytes before a page boundary: four chunks.
  const uint64_t pa = 0x10fc0;
  const Bytes data = random_bytes(3 * kPageSize + 0x80, 1);
  direct.mc.write(SysPhysAddr(pa), data, host);
  observed.mc.write(SysPhysAddr(pa), data, host);
  EXPECT_EQ(direct.raw(pa, data.size()), observed.raw(pa, data.size()));
  EXPECT_NE(direct.raw(pa, data.size()), data);  // ciphertext, not the plaintext
  ASSERT_FALSE(rec.seen.empty());                // the observer saw the buffered path
  EXPECT_EQ(rec.seen.front().second, observed.raw(pa, rec.seen.front().second.size()));

  Bytes back_direct(data.size()), back_observed(data.size());
  direct.mc.read(SysPhysAddr(pa), back_direct, host);
  observed.mc.read(SysPhysAddr(pa), back_observed, host);
  EXPECT_EQ(back_direct, data);
  EXPECT_EQ(back_observed, data);

  // A page never written: DRAM reads as zeros, which decrypt to the same garbage either way.
  Bytes fresh_direct(kPageSize), fresh_observed(kPageSize);
  direct.mc.read(SysPhysAddr(0x80000), fresh_direct, host);
  observed.mc.read(SysPhysAddr(0x80000), fresh_observed, host);
  EXPECT_EQ(fresh_direct, fresh_observed);
  EXPECT_NE(fresh_direct, Bytes(kPageSize, 0));
  EXPECT_EQ(direct.dram.touched_pages(), observed.dram.touched_pages());  // reads never allocate
}

TEST(MemoryControllerFastPath, SourceInsideDramStorageIsNotCorrupted) {
  // A source that overlaps the destination page's own storage, shifted by 16 bytes: the engine
  // must not read bytes it has already overwritten.
  Rig direct, copy;
  const EncTag host = direct.mc.resolve(MemAttr::host_encrypted());
  const Bytes plain = random_bytes(kPageSize, 2);
  direct.dram.write(SysPhysAddr(0x3000), plain);
  copy.dram.write(SysPhysAddr(0x3000), plain);
  const uint8_t* storage = direct.dram.page_for_write(Pfn(3));
  direct.mc.write(SysPhysAddr(0x3000), ByteSpan(storage + 16, kPageSize - 16), host);
  const Bytes src(plain.begin() + 16, plain.end());  // the same bytes, from elsewhere
  copy.mc.write(SysPhysAddr(0x3000), src, host);
  EXPECT_EQ(direct.raw(0x3000, kPageSize), copy.raw(0x3000, kPageSize));
  Bytes back(kPageSize - 16);
  direct.mc.read(SysPhysAddr(0x3000), back, host);
  EXPECT_EQ(back, src);
}

TEST(CacheFastPath, SnoopOfEverySetEqualsSnoopLineByLine) {
  // 512 lines in 64 sets: a snoop of 64 lines or more visits each line once.
  Rig whole, pieces;
  Cache whole_cache(whole.mc, {512, 8, false});
  Cache pieces_cache(pieces.mc, {512, 8, false});
  const Bytes data = random_bytes(kCacheLineSize, 3);
  // Dirty lines, host key and plain, inside and around the snooped range [0x2000, 0x6000).
  std::vector<uint64_t> lines;
  for (uint64_t a = 0x1000; a < 0x7000; a += 3 * kCacheLineSize) lines.push_back(a);
  for (uint64_t a : lines) {
    const MemAttr attr = (a / kCacheLineSize) % 2 ? MemAttr::host_encrypted() : MemAttr::plain();
    whole_cache.write(SysPhysAddr(a), data, attr);
    pieces_cache.write(SysPhysAddr(a), data, attr);
  }
  const uint64_t begin = 0x2000, len = 0x4000;  // 256 lines: every set
  whole_cache.snoop_for_dma(SysPhysAddr(begin), len, true);
  for (uint64_t off = 0; off < len; off += 4 * kCacheLineSize)  // 4 lines: per address
    pieces_cache.snoop_for_dma(SysPhysAddr(begin + off), 4 * kCacheLineSize, true);

  EXPECT_EQ(whole.raw(0, 0x8000), pieces.raw(0, 0x8000));
  EXPECT_NE(whole.raw(begin, len), Bytes(len, 0));  // the lines inside were written back
  for (uint64_t a : lines) {
    const bool inside = a >= begin && a < begin + len;
    EXPECT_EQ(whole_cache.copies_of(SysPhysAddr(a)), inside ? 0u : 1u) << std::hex << a;
    EXPECT_EQ(pieces_cache.copies_of(SysPhysAddr(a)), inside ? 0u : 1u) << std::hex << a;
  }
  EXPECT_EQ(whole_cache.stats().writebacks, pieces_cache.stats().writebacks);
}

}  // namespace
}  // namespace cbit::hw
