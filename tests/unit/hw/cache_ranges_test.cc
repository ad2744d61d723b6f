// The launch's ranged cache and RMP paths against their line-by-line and entry-by-entry
// equivalents (docs/launch.md "Speed"): a DMA snoop writing back runs of dirty lines of one page
// and key in one memory-controller write, a CLFLUSH of a range translating once per page, and
// SNP_INIT's RMP entries written 256 at a time. Each must leave DRAM, the cache and the
// statistics exactly as the single-step path does; the controls show the data went through.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "hw/cache/cache.h"
#include "hw/cpu/fault.h"
#include "hw/dram/dram.h"
#include "hw/machine.h"
#include "hw/memctrl/bus_observer.h"
#include "hw/psp/secure_processor.h"
#include "hw/rmp/rmp_table.h"
#include "sw/host/kernel.h"
#include "sw/host/pgtable.h"

namespace cbit::hw {
namespace {

struct Rig {
  Rig() : dram(16 << 20), mc(dram, nullptr, CipherMode::Xex, 4, false), sp(mc, 77), cache(mc, {}) {}
  Dram dram;
  MemoryController mc;
  psp::SecureProcessor sp;
  Cache cache;
};

struct Writes final : BusObserver {
  size_t writes = 0;
  void on_dram_access(BusDir dir, SysPhysAddr, ByteSpan) override {
    writes += dir == BusDir::Write;
  }
};

// Lines of two pages under the host key and plaintext, mixed, one line cached under both keys
// (no SME_COHERENT: two copies), a line left clean, and one line outside the snooped range.
void dirty_two_pages(Cache& c) {
  const SysPhysAddr base(0x10000);
  for (unsigned i = 0; i < 128; ++i) {
    const MemAttr attr = (i / 5) % 2 ? MemAttr::plain() : MemAttr::host_encrypted();
    c.write(base + i * kCacheLineSize, Bytes(kCacheLineSize, static_cast<uint8_t>(i + 1)), attr);
  }
  c.write(base + 7 * kCacheLineSize, Bytes(kCacheLineSize, 0xee), MemAttr::host_encrypted());
  Bytes clean(kCacheLineSize);
  c.read(base + 200 * kCacheLineSize, clean, MemAttr::host_encrypted());
  c.write(SysPhysAddr(0x30000), Bytes(kCacheLineSize, 0x99), MemAttr::plain());
}

TEST(CacheSnoopRuns, SameDramAndStatsAsLineByLineWriteBacks) {
  for (const bool device_writes : {false, true}) {
    Rig merged, single;
    Writes bus;
    single.mc.add_observer(&bus);  // an observer keeps every line's write-back on its own
    dirty_two_pages(merged.cache);
    dirty_two_pages(single.cache);
    Bytes before(3 * kPageSize);
    merged.dram.read(SysPhysAddr(0x10000), before);
    merged.cache.snoop_for_dma(SysPhysAddr(0x10000), 3 * kPageSize, device_writes);
    single.cache.snoop_for_dma(SysPhysAddr(0x10000), 3 * kPageSize, device_writes);
    Bytes a(3 * kPageSize), b(3 * kPageSize);
    merged.dram.read(SysPhysAddr(0x10000), a);
    single.dram.read(SysPhysAddr(0x10000), b);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, before);  // control: the snoop wrote the dirty lines back
    EXPECT_EQ(merged.cache.stats().writebacks, single.cache.stats().writebacks);
    EXPECT_EQ(single.cache.stats().writebacks, 129u);  // 128 lines, one of them under two keys
    EXPECT_EQ(bus.writes, 129u);
    const unsigned left = device_writes ? 0u : 1u;
    EXPECT_EQ(merged.cache.copies_of(SysPhysAddr(0x10000)), left);
    EXPECT_EQ(merged.cache.copies_of(SysPhysAddr(0x10000 + 7 * kCacheLineSize)), 2 * left);
    EXPECT_EQ(merged.cache.copies_of(SysPhysAddr(0x30000)), 1u);  // outside the range: kept
    // Both read back the same, under each key (line 7's two copies went back in the same order,
    // so the host key's, written last, is what memory holds).
    Bytes m7(kCacheLineSize), s7(kCacheLineSize), line(kCacheLineSize);
    merged.cache.read(SysPhysAddr(0x10000 + 7 * kCacheLineSize), m7, MemAttr::plain());
    single.cache.read(SysPhysAddr(0x10000 + 7 * kCacheLineSize), s7, MemAttr::plain());
    EXPECT_EQ(m7, s7);
    for (Rig* r : {&merged, &single}) {
      r->cache.read(SysPhysAddr(0x10000 + 7 * kCacheLineSize), line, MemAttr::host_encrypted());
      EXPECT_EQ(line, Bytes(kCacheLineSize, 0xee));
      r->cache.read(SysPhysAddr(0x10000 + 120 * kCacheLineSize), line, MemAttr::host_encrypted());
      EXPECT_EQ(line, Bytes(kCacheLineSize, 121));
    }
  }
}

TEST(CacheClflushLines, SameAsOneClflushPerLine) {
  Rig ranged, single;
  dirty_two_pages(ranged.cache);
  dirty_two_pages(single.cache);
  // Bytes 197..4164: lines 3..65, an unaligned start and end across the page boundary.
  ranged.cache.clflush_lines(SysPhysAddr(0x10000 + 3 * kCacheLineSize + 5), 62 * kCacheLineSize);
  for (uint64_t a = 0x10000 + 3 * kCacheLineSize; a < 0x10000 + 66 * kCacheLineSize;
       a += kCacheLineSize)
    single.cache.clflush(SysPhysAddr(a));
  EXPECT_EQ(ranged.cache.stats().writebacks, single.cache.stats().writebacks);
  EXPECT_EQ(ranged.cache.stats().writebacks, 64u);  // lines 3..65, line 7 under two keys
  for (uint64_t i = 0; i < 128; ++i) {
    const SysPhysAddr a(0x10000 + i * kCacheLineSize);
    EXPECT_EQ(ranged.cache.copies_of(a), single.cache.copies_of(a)) << i;
  }
  EXPECT_EQ(ranged.cache.copies_of(SysPhysAddr(0x10000 + 2 * kCacheLineSize)), 1u);  // control
  EXPECT_EQ(ranged.cache.copies_of(SysPhysAddr(0x10000 + 3 * kCacheLineSize)), 0u);
  Bytes a(kPageSize), b(kPageSize);
  ranged.dram.read(SysPhysAddr(0x10000), a);
  single.dram.read(SysPhysAddr(0x10000), b);
  EXPECT_EQ(a, b);
}

TEST(CpuClflushRange, FlushesEveryLineAcrossPagesAndStopsAtAFault) {
  MachineConfig cfg;
  cfg.cpu = cpu_model_by_name("naples");  // no SME_COHERENT
  cfg.dram_bytes = 64ull << 20;
  cfg.seed = 5;
  Machine m(cfg);
  sw::host::HostKernel k(m, sw::host::KernelConfig{"mem_encrypt=on", false, 1ull << 20});
  k.boot();
  const VirtAddr p = *k.alloc_pages(1);  // two pages
  k.memcpy_to(p, Bytes(2 * kPageSize, 0x42));
  EXPECT_EQ(m.cache().copies_of(k.__pa(p)), 1u);
  // From byte 100 to 100 bytes before the end: lines 1..126 of the two pages.
  m.cpu().clflush_range(p + 100, 2 * kPageSize - 200);
  for (uint64_t off = 0; off < 2 * kPageSize; off += kCacheLineSize) {
    const bool kept = off == 0 || off == 2 * kPageSize - kCacheLineSize;  // control
    EXPECT_EQ(m.cache().copies_of(k.__pa(p + off)), kept ? 1u : 0u) << off;
  }
  Bytes back(2 * kPageSize);
  k.memcpy_from(p, back);
  EXPECT_EQ(back, Bytes(2 * kPageSize, 0x42));
  // A range that runs into an unmapped page: #PF at that page's first line, the page before it
  // flushed, the lines of the unmapped page still cached (control).
  k.memcpy_to(p, Bytes(2 * kPageSize, 0x43));
  const VirtAddr second = p + kPageSize;
  const SysPhysAddr second_pa = k.__pa(second);
  auto e = k.page_tables().lookup_address(second);
  ASSERT_TRUE(e);
  if (e->level == sw::host::PgLevel::Pmd) e = k.page_tables().split_large_page(*e, second);
  k.page_tables().set_entry(e->where, 0);
  m.cpu().invlpg(second);
  EXPECT_THROW(m.cpu().clflush_range(p, 2 * kPageSize), PageFault);
  EXPECT_EQ(m.cpu().cr2(), second.value);
  for (uint64_t off = 0; off < kPageSize; off += kCacheLineSize) {
    EXPECT_EQ(m.cache().copies_of(k.__pa(p + off)), 0u) << off;
    EXPECT_EQ(m.cache().copies_of(second_pa + off), 1u) << off;
  }
}

TEST(RmpTableWriteRun, SameDramAsOneWritePerEntry) {
  std::mt19937_64 rng(3);
  std::vector<rmp::RmpEntry> entries(700);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i % 3) continue;  // most entries default (zero), as SNP_INIT writes them
    entries[i].assigned = true;
    entries[i].asid = static_cast<uint32_t>(rng() % 100);
    entries[i].immutable = rng() & 1;
  }
  Dram d1(64ull << 20), d2(64ull << 20);
  const uint64_t size = rmp::rmp_table_size(d1.size());
  const rmp::RmpBounds b{d1.size() - size, d1.size() - 1};
  rmp::RmpTable t1(d1, b), t2(d2, b);
  // Data already in the table: the run must overwrite it with zeros where entries are default.
  rmp::RmpEntry old;
  old.assigned = true;
  old.asid = 9;
  for (uint64_t pg : {1ull, 300ull, 699ull}) {
    t1.write(SysPhysAddr(0x100000 + pg * kPageSize), old);
    t2.write(SysPhysAddr(0x100000 + pg * kPageSize), old);
  }
  t1.write_run(SysPhysAddr(0x100000), entries);
  for (size_t i = 0; i < entries.size(); ++i)
    t2.write(SysPhysAddr(0x100000 + i * kPageSize), entries[i]);
  for (size_t i = 0; i < entries.size(); ++i)
    ASSERT_EQ(t1.read(SysPhysAddr(0x100000 + i * kPageSize)), entries[i]) << i;
  Bytes r1(size), r2(size);
  d1.read(SysPhysAddr(b.base), r1);
  d2.read(SysPhysAddr(b.base), r2);
  EXPECT_EQ(r1, r2);
  EXPECT_EQ(d1.touched_pages(), d2.touched_pages());
  // Control: a run past the end of coverage drops the uncovered entries, as write() does.
  const uint64_t pages = (size - rmp::kBookkeepingSize) / rmp::kRmpEntrySize;
  t1.write_run(SysPhysAddr((pages - 2) * kPageSize), std::span(entries).subspan(0, 4));
  EXPECT_EQ(t1.read(SysPhysAddr((pages - 2) * kPageSize)), entries[0]);
  EXPECT_FALSE(t1.covers(SysPhysAddr(pages * kPageSize)));
}

TEST(RmpTableWriteRun, SegmentedTableEntryByEntry) {
  Dram dram(256ull << 20);
  rmp::RmpTable t(dram, {0x1000000, 0, true, 27});
  t.write_segment(1, 1, 0x2000000);
  std::vector<rmp::RmpEntry> e(3);
  e[1].assigned = true;
  e[1].asid = 4;
  t.write_run(SysPhysAddr(0x8000000), e);
  EXPECT_EQ(t.read(SysPhysAddr(0x8001000)), e[1]);
  EXPECT_EQ(t.read(SysPhysAddr(0x8000000)), rmp::RmpEntry{});
}

// read_run: the entries read() gives page by page, across a 4 KiB run of the table, the table's
// end (uncovered pages read as default, hypervisor-owned) and a segmented table.
TEST(RmpTableReadRun, SameEntriesAsOneReadPerPage) {
  std::mt19937_64 rng(5);
  Dram d(64ull << 20);
  const uint64_t size = rmp::rmp_table_size(d.size());
  const rmp::RmpBounds b{d.size() - size, d.size() - 1};
  rmp::RmpTable t(d, b);
  std::vector<rmp::RmpEntry> written(700);
  for (size_t i = 0; i < written.size(); i += 1 + rng() % 5) {
    written[i].assigned = true;
    written[i].asid = static_cast<uint32_t>(1 + rng() % 100);
    written[i].validated = rng() & 1;
  }
  t.write_run(SysPhysAddr(0x100000), written);
  std::vector<rmp::RmpEntry> got(written.size());
  t.read_run(SysPhysAddr(0x100000), got);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], written[i]) << i;
  // Control: the run read something other than defaults.
  EXPECT_GT(std::count_if(got.begin(), got.end(), [](const auto& e) { return e.assigned; }), 100);
  // Across the end of coverage: the covered ones as written, the others default.
  const uint64_t pages = (size - rmp::kBookkeepingSize) / rmp::kRmpEntrySize;
  rmp::RmpEntry last;
  last.assigned = true;
  last.asid = 7;
  t.write(SysPhysAddr((pages - 1) * kPageSize), last);
  std::vector<rmp::RmpEntry> edge(3);
  t.read_run(SysPhysAddr((pages - 1) * kPageSize), edge);
  EXPECT_EQ(edge[0], last);
  EXPECT_EQ(edge[1], rmp::RmpEntry{});
  EXPECT_EQ(edge[2], rmp::RmpEntry{});
  // Segmented: entry by entry, as read().
  Dram ds(256ull << 20);
  rmp::RmpTable ts(ds, {0x1000000, 0, true, 27});
  ts.write_segment(1, 1, 0x2000000);
  ts.write(SysPhysAddr(0x8001000), last);
  std::vector<rmp::RmpEntry> seg(3);
  ts.read_run(SysPhysAddr(0x8000000), seg);
  EXPECT_EQ(seg[0], rmp::RmpEntry{});
  EXPECT_EQ(seg[1], last);
}

}  // namespace
}  // namespace cbit::hw
