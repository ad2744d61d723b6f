// The TLB follows the architectural rules: a changed PTE is not seen until INVLPG or MOV CR3
// (global pages survive MOV CR3 but not a CR4.PGE toggle), and cached entries never allow what
// the current checks refuse.
#include <gtest/gtest.h>

#include "hw/cpu/fault.h"
#include "unit/hw/cpu_test_rig.h"

namespace cbit::hw {
namespace {

using testing::CpuRig;

constexpr uint64_t kVa = 0x00005555aaaa0000ull;
constexpr uint64_t kPageA = 0x2000000, kPageB = 0x2001000;
constexpr uint64_t kRw = pte::kP | pte::kRw | pte::kUs;

struct TlbRig : CpuRig {
  explicit TlbRig(uint64_t leaf_extra = 0) {
    pt.make_root(true);
    auto [t, i] = pt.map(kVa, kPageA, kRw | leaf_extra, true, true);
    table = t;
    idx = i;
    enter_long_mode();
    cpu.write<uint64_t>(VirtAddr(kVa), 0xAAAAAAAAAAAAAAAAull);
  }
  void seed_page_b() {
    // Write B's contents through a second mapping, then repoint kVa's PTE at B in memory.
    pt.map(kVa + 0x100000, kPageB, kRw, true, true);
    cpu.write<uint64_t>(VirtAddr(kVa + 0x100000), 0xBBBBBBBBBBBBBBBBull);
    pt.set(table, idx, (pt.get(table, idx) & ~0x000FFFFFFFFFF000ull) | kPageB | cpu.c_bit_mask());
  }
  uint64_t table = 0;
  unsigned idx = 0;
};

TEST(CpuTlb, StaleTranslationUsedUntilInvlpg) {
  TlbRig r;
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xAAAAAAAAAAAAAAAAull);  // cached
  r.seed_page_b();
  const uint64_t walks = r.cpu.mmu().walks();
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xAAAAAAAAAAAAAAAAull) << "old translation";
  EXPECT_EQ(r.cpu.mmu().walks(), walks);
  r.cpu.invlpg(VirtAddr(kVa + 0x123));  // any address in the page
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xBBBBBBBBBBBBBBBBull) << "new translation";
}

TEST(CpuTlb, MovCr3FlushesNonGlobalEntries) {
  TlbRig r;
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  r.seed_page_b();
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xAAAAAAAAAAAAAAAAull);
  r.cpu.mov_to_cr3(r.cpu.cr3());  // same value: still a flush
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xBBBBBBBBBBBBBBBBull);
}

TEST(CpuTlb, GlobalPagesSurviveMovCr3ButNotAPgeToggle) {
  TlbRig r(pte::kG);
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  r.seed_page_b();
  r.cpu.mov_to_cr3(r.cpu.cr3());
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xAAAAAAAAAAAAAAAAull) << "global survives";
  r.cpu.mov_to_cr4(r.cpu.cr4() & ~cr4::kPge);
  r.cpu.mov_to_cr4(r.cpu.cr4() | cr4::kPge);
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xBBBBBBBBBBBBBBBBull);
}

TEST(CpuTlb, GlobalBitIgnoredWithoutPge) {
  TlbRig r(pte::kG);
  r.cpu.mov_to_cr4(r.cpu.cr4() & ~cr4::kPge);
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  r.seed_page_b();
  r.cpu.mov_to_cr3(r.cpu.cr3());
  EXPECT_EQ(r.cpu.read<uint64_t>(VirtAddr(kVa)), 0xBBBBBBBBBBBBBBBBull);
}

TEST(CpuTlb, PagingOffAndOnFlushesEverything) {
  TlbRig r(pte::kG);
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  EXPECT_GT(r.cpu.tlb().valid_entries(), 0u);
  const uint64_t cr0 = r.cpu.cr0();
  r.cpu.mov_to_cr0(cr0 & ~cr0::kPg);
  EXPECT_EQ(r.cpu.tlb().valid_entries(), 0u);
  r.cpu.mov_to_cr0(cr0);
}

TEST(CpuTlb, UnmappedPageStillReachableUntilInvlpgThenFaults) {
  TlbRig r;
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  r.pt.set(r.table, r.idx, 0);  // unmap in memory only
  EXPECT_NO_THROW(r.cpu.read<uint64_t>(VirtAddr(kVa)));
  r.cpu.invlpg(VirtAddr(kVa));
  EXPECT_THROW(r.cpu.read<uint64_t>(VirtAddr(kVa)), PageFault);
}

TEST(CpuTlb, CachedEntryChecksTheCurrentWpAndCpl) {
  TlbRig r;
  r.pt.set(r.table, r.idx, r.pt.get(r.table, r.idx) & ~pte::kRw);
  r.cpu.invlpg(VirtAddr(kVa));
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));  // cached as read-only
  EXPECT_THROW(r.cpu.write<uint8_t>(VirtAddr(kVa), 1), PageFault);
  r.cpu.mov_to_cr0(r.cpu.cr0() & ~cr0::kWp);
  EXPECT_NO_THROW(r.cpu.write<uint8_t>(VirtAddr(kVa), 1));
  r.cpu.set_cpl(3);
  EXPECT_THROW(r.cpu.write<uint8_t>(VirtAddr(kVa), 1), PageFault);
}

TEST(CpuTlb, PageFaultDropsTheEntry) {
  TlbRig r;
  r.pt.set(r.table, r.idx, r.pt.get(r.table, r.idx) & ~pte::kRw);
  r.cpu.invlpg(VirtAddr(kVa));
  (void)r.cpu.read<uint64_t>(VirtAddr(kVa));
  const size_t before = r.cpu.tlb().valid_entries();
  EXPECT_THROW(r.cpu.write<uint8_t>(VirtAddr(kVa), 1), PageFault);
  EXPECT_EQ(r.cpu.tlb().valid_entries(), before - 1);
}

TEST(CpuTlb, DirectMappedConflictEvicts) {
  Tlb tlb;
  TlbEntry e;
  e.page_shift = 12;
  e.vpn = 5;
  e.frame = 0x5000;
  tlb.insert(VirtAddr(0x5000), e);
  ASSERT_NE(tlb.lookup(VirtAddr(0x5000)), nullptr);
  TlbEntry f = e;
  f.vpn = 5 + 1024;  // same slot
  f.frame = 0x9000;
  tlb.insert(VirtAddr((5 + 1024ull) << 12), f);
  EXPECT_EQ(tlb.lookup(VirtAddr(0x5000)), nullptr);
  EXPECT_NE(tlb.lookup(VirtAddr((5 + 1024ull) << 12)), nullptr);
}

TlbEntry entry(uint64_t vpn, unsigned shift, bool global) {
  TlbEntry e;
  e.page_shift = static_cast<uint8_t>(shift);
  e.vpn = vpn;
  e.frame = vpn << shift;
  e.global = global;
  return e;
}

// Flushes are epochs (tlb.h): what each drops, what it keeps, and that entries inserted after a
// flush, or re-inserted into a flushed slot, are found again.
TEST(CpuTlb, FlushesDropExactlyWhatTheArchitectureSays) {
  Tlb tlb;
  const VirtAddr local(7ull << 12), global(9ull << 12), large(3ull << 21);
  tlb.insert(local, entry(7, 12, false));
  tlb.insert(global, entry(9, 12, true));
  tlb.insert(large, entry(3, 21, false));
  EXPECT_EQ(tlb.valid_entries(), 3u);
  tlb.flush_non_global();  // MOV CR3: the global entry stays
  EXPECT_EQ(tlb.lookup(local), nullptr);
  EXPECT_EQ(tlb.lookup(large), nullptr);
  ASSERT_NE(tlb.lookup(global), nullptr);
  EXPECT_EQ(tlb.lookup(global)->frame, 9ull << 12);
  EXPECT_EQ(tlb.valid_entries(), 1u);
  tlb.insert(local, entry(7, 12, false));  // after the flush: live
  EXPECT_NE(tlb.lookup(local), nullptr);
  tlb.flush_non_global();
  tlb.flush_non_global();  // twice: the global one still stays
  EXPECT_NE(tlb.lookup(global), nullptr);
  EXPECT_EQ(tlb.lookup(local), nullptr);
  tlb.insert(local, entry(7, 12, false));
  tlb.flush_all();  // CR4.PGE: everything goes, global or not
  EXPECT_EQ(tlb.lookup(global), nullptr);
  EXPECT_EQ(tlb.lookup(local), nullptr);
  EXPECT_EQ(tlb.valid_entries(), 0u);
  tlb.insert(global, entry(9, 12, true));  // a global entry after flush_all is live again
  tlb.flush_non_global();
  EXPECT_NE(tlb.lookup(global), nullptr);
  EXPECT_EQ(tlb.valid_entries(), 1u);
  // A stale entry of another size is no shadow: the 2 MiB slot's old entry was flushed, the
  // 4 KiB one inserted after serves the address.
  tlb.insert(large, entry(3, 21, false));
  tlb.flush_all();
  const VirtAddr inside((3ull << 21) + 0x5000);
  tlb.insert(inside, entry(inside.value >> 12, 12, false));
  ASSERT_NE(tlb.lookup(inside), nullptr);
  EXPECT_EQ(tlb.lookup(inside)->page_shift, 12);
  EXPECT_EQ(tlb.stats().flushes, 6u);
}

}  // namespace
}  // namespace cbit::hw
