// The cache's batched write-backs (write_back_run.h, cache.cc) against the line-at-a-time path
// (the same cache with a bus observer attached, which must see every line's write on its own):
// over random traffic with two keys (the host key and plaintext, so lines cached under both),
// evictions during page-sized writes and reads, WBINVD, WBNOINVD, CLFLUSH of ranges, DMA snoops
// and VM_PAGE_FLUSH must leave DRAM byte for byte, the write tracker and the statistics exactly
// as the line-at-a-time path does. The controls show that the traffic had what makes the runs
// risky (evictions, dirty lines under two keys) and that the equal states are not trivially so.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "hw/cache/cache.h"
#include "hw/dram/dram.h"
#include "hw/memctrl/bus_observer.h"
#include "hw/psp/secure_processor.h"

namespace cbit::hw {
namespace {

constexpr uint64_t kBase = 0x100000;
constexpr uint64_t kSpan = 6ull << 20;  // three times the default cache: victims all along

struct Rig {
  explicit Rig(CacheConfig cfg, bool line_by_line)
      : dram(16 << 20), mc(dram, nullptr, CipherMode::Xex, 4, false), sp(mc, 77), cache(mc, cfg) {
    if (line_by_line) mc.add_observer(&bus);
  }
  struct Count final : BusObserver {
    size_t writes = 0;
    void on_dram_access(BusDir dir, SysPhysAddr, ByteSpan) override {
      writes += dir == BusDir::Write;
    }
  } bus;
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;
  Cache cache;
};

MemAttr key_of(uint32_t k) { return k ? MemAttr::host_encrypted() : MemAttr::plain(); }

// One step of random traffic, the same on every rig given the same generator state.
void random_step(std::mt19937_64& rng, Rig& a, Rig& b) {
  auto pick = [&](uint64_t n) { return rng() % n; };
  const uint64_t page = kBase + pick(kSpan / kPageSize) * kPageSize;
  const MemAttr attr = key_of(static_cast<uint32_t>(pick(2)));
  switch (pick(10)) {
    case 0:
    case 1:
    case 2: {  // a whole page, or several: the hypervisor zeroing, a launch copying
      const uint64_t pages = 1 + pick(3);
      Bytes data(pages * kPageSize, static_cast<uint8_t>(rng()));
      for (size_t i = 0; i < data.size(); i += 97) data[i] = static_cast<uint8_t>(rng());
      if (page + data.size() > kBase + kSpan) return;
      a.cache.write(SysPhysAddr(page), data, attr);
      b.cache.write(SysPhysAddr(page), data, attr);
      return;
    }
    case 3:
    case 4: {  // a short unaligned write: partial lines at both ends, filled from memory
      const uint64_t off = pick(kPageSize);
      Bytes data(1 + pick(300), static_cast<uint8_t>(rng()));
      a.cache.write(SysPhysAddr(page + off), data, attr);
      b.cache.write(SysPhysAddr(page + off), data, attr);
      return;
    }
    case 5:
    case 6: {  // a read of a page and a bit: fills and their victims
      const uint64_t off = pick(kPageSize / 2);
      Bytes x(kPageSize + 64), y(kPageSize + 64);
      a.cache.read(SysPhysAddr(page + off), x, attr);
      b.cache.read(SysPhysAddr(page + off), y, attr);
      EXPECT_EQ(x, y);
      return;
    }
    case 7: {  // CLFLUSH of part of a page, or a DMA snoop of a few pages
      const uint64_t off = pick(kPageSize);
      const uint64_t len = 1 + pick(3 * kPageSize);
      if (pick(2)) {
        a.cache.clflush_lines(SysPhysAddr(page + off), len);
        b.cache.clflush_lines(SysPhysAddr(page + off), len);
      } else {
        const bool device_writes = pick(2);
        a.cache.snoop_for_dma(SysPhysAddr(page + off), len, device_writes);
        b.cache.snoop_for_dma(SysPhysAddr(page + off), len, device_writes);
      }
      return;
    }
    case 8:  // VM_PAGE_FLUSH of the host key's lines of a page
      a.cache.vm_page_flush(SysPhysAddr(page), Asid(0));
      b.cache.vm_page_flush(SysPhysAddr(page), Asid(0));
      return;
    default: {  // one line under the other key: two copies of a line, both dirty
      const uint64_t line = page + pick(kPageSize / kCacheLineSize) * kCacheLineSize;
      Bytes data(kCacheLineSize, static_cast<uint8_t>(rng()));
      a.cache.write(SysPhysAddr(line), data, attr);
      b.cache.write(SysPhysAddr(line), data, attr);
      return;
    }
  }
}

void expect_same(Rig& a, Rig& b, const char* when) {
  SCOPED_TRACE(when);
  Bytes x(kSpan), y(kSpan);
  a.dram.read(SysPhysAddr(kBase), x);
  b.dram.read(SysPhysAddr(kBase), y);
  EXPECT_TRUE(x == y) << "DRAM differs";
  const CacheStats& s = a.cache.stats();
  const CacheStats& t = b.cache.stats();
  EXPECT_EQ(s.hits, t.hits);
  EXPECT_EQ(s.misses, t.misses);
  EXPECT_EQ(s.writebacks, t.writebacks);
  EXPECT_EQ(s.dropped_dirty, t.dropped_dirty);
  EXPECT_EQ(s.coherence_evictions, t.coherence_evictions);
  for (uint64_t p = kBase; p < kBase + kSpan; p += kPageSize) {
    const auto u = a.mc.write_tracker().page(Pfn(p >> kPageShift));
    const auto v = b.mc.write_tracker().page(Pfn(p >> kPageShift));
    ASSERT_EQ(u.written, v.written) << p;
    ASSERT_EQ(u.mixed, v.mixed) << p;
    if (u.written && !u.mixed) {
      ASSERT_TRUE(u.tag == v.tag) << p;
    }
  }
}

// Lines under both keys still cached (dirty or not) at the end of the traffic: how many.
size_t two_key_lines(Rig& r) {
  size_t n = 0;
  for (uint64_t a = kBase; a < kBase + kSpan; a += kCacheLineSize)
    n += r.cache.copies_of(SysPhysAddr(a)) == 2;
  return n;
}

// Ends a stretch of traffic with a dirty page under the host key whose last line is also dirty in
// plaintext (the most recently used line of its set, so the second copy evicts another): what
// follows has dirty lines, and a line under two keys, on every cache size.
void dirty_tail(Rig& a, Rig& b) {
  const SysPhysAddr page(kBase + 17 * kPageSize), last(page.value + kPageSize - kCacheLineSize);
  for (Rig* r : {&a, &b}) {
    r->cache.write(page, Bytes(kPageSize, 0x5c), MemAttr::host_encrypted());
    r->cache.write(last, Bytes(kCacheLineSize, 0xc5), MemAttr::plain());
  }
}

void run_matrix(CacheConfig cfg, uint64_t seed) {
  Rig batched(cfg, false), single(cfg, true);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1500; ++i) random_step(rng, batched, single);
  dirty_tail(batched, single);
  expect_same(batched, single, "after the traffic");
  // Controls: victims were written back, lines sit under both keys, and the DRAM the write-backs
  // produced is not what a cache that never wrote back would show.
  EXPECT_GT(batched.cache.stats().writebacks, 10000u);
  EXPECT_GT(two_key_lines(batched), 0u);
  const size_t before = single.bus.writes;
  batched.cache.wbnoinvd();
  single.cache.wbnoinvd();
  expect_same(batched, single, "after WBNOINVD");
  EXPECT_GT(single.bus.writes, before);  // control: there were dirty lines to write
  for (int i = 0; i < 300; ++i) random_step(rng, batched, single);
  dirty_tail(batched, single);
  batched.cache.wbinvd();
  single.cache.wbinvd();
  expect_same(batched, single, "after WBINVD");
  EXPECT_EQ(batched.cache.copies_of(SysPhysAddr(kBase)), 0u);
  for (int i = 0; i < 300; ++i) random_step(rng, batched, single);
  dirty_tail(batched, single);
  batched.cache.invd();
  single.cache.invd();
  expect_same(batched, single, "after INVD");
  EXPECT_GT(batched.cache.stats().dropped_dirty, 0u);
}

TEST(CacheWriteBackRuns, SameAsLineByLineOverRandomTrafficWithTwoKeys) {
  run_matrix(CacheConfig{}, 1);
  run_matrix(CacheConfig{}, 2);
}

TEST(CacheWriteBackRuns, SameWithSmeCoherentEvictions) {
  CacheConfig cfg;
  cfg.sme_coherent = true;
  Rig batched(cfg, false), single(cfg, true);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1500; ++i) random_step(rng, batched, single);
  expect_same(batched, single, "after the traffic");
  EXPECT_GT(batched.cache.stats().coherence_evictions, 0u);  // control: the path ran
  batched.cache.wbinvd();
  single.cache.wbinvd();
  expect_same(batched, single, "after WBINVD");
}

// Fewer sets than a page has lines: a page's run wraps around the sets during a WBINVD walk.
TEST(CacheWriteBackRuns, SameWithFewerSetsThanLinesPerPage) {
  run_matrix(CacheConfig{64, 4, false}, 4);
  run_matrix(CacheConfig{96, 3, false}, 5);  // and a set count that is no power of two
}

// The 32-bit LRU stamps, renumbered every few dozen accesses instead of once in four billion: the
// victims, and so DRAM, the tracker and the statistics, are those of the cache that never
// renumbers. Control: the renumbering ran, many times, with the cache full of lines.
TEST(CacheLruStamps, RenumberingKeepsEveryEviction) {
  CacheConfig often;
  often.lru_renumber_at = 97;
  Rig renumbered(often, false), plain(CacheConfig{}, false);
  std::mt19937_64 rng(6);
  for (int i = 0; i < 1500; ++i) random_step(rng, renumbered, plain);
  dirty_tail(renumbered, plain);
  expect_same(renumbered, plain, "after the traffic");
  EXPECT_GT(renumbered.cache.stats().lru_renumbers, 500u);
  EXPECT_EQ(plain.cache.stats().lru_renumbers, 0u);
  EXPECT_GT(renumbered.cache.stats().writebacks, 10000u);  // a full cache: victims chosen by age
  renumbered.cache.wbinvd();
  plain.cache.wbinvd();
  expect_same(renumbered, plain, "after WBINVD");
}

// The case the run must not reorder: a line dirty under both keys in the middle of a page of
// dirty lines. WBINVD writes its two copies in way order; the copy written last is what memory
// holds, and the page's run must not carry either copy ahead of the other.
TEST(CacheWriteBackRuns, TwoDirtyCopiesOfALineKeepTheirOrder) {
  for (const bool host_first : {false, true}) {
    Rig batched(CacheConfig{}, false), single(CacheConfig{}, true);
    const SysPhysAddr page(0x200000), line(0x200000 + 5 * kCacheLineSize);
    const MemAttr first = host_first ? MemAttr::host_encrypted() : MemAttr::plain();
    const MemAttr second = host_first ? MemAttr::plain() : MemAttr::host_encrypted();
    for (Rig* r : {&batched, &single}) {
      r->cache.write(line, Bytes(kCacheLineSize, 0x11), first);  // the lower way
      r->cache.write(page, Bytes(kPageSize, 0x22), second);      // the page's run
      EXPECT_EQ(r->cache.copies_of(line), 2u);
      r->cache.wbinvd();
    }
    expect_same(batched, single, host_first ? "host copy first" : "plain copy first");
    // Control: the later way's copy (the page's key) is what memory holds.
    Bytes got(kCacheLineSize);
    batched.cache.read(line, got, second);
    EXPECT_EQ(got, Bytes(kCacheLineSize, 0x22));
    batched.cache.read(line, got, first);
    EXPECT_NE(got, Bytes(kCacheLineSize, 0x11));
  }
}

}  // namespace
}  // namespace cbit::hw
