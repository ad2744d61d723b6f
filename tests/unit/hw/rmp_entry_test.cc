// The RMP entry's bit layout (SNP-FACTS.md §1.2) and the firmware's page states (§1.3), and the
// table's addressing in DRAM (§1.1).
#include "hw/rmp/rmp_entry.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "hw/dram/dram.h"
#include "hw/rmp/rmp_table.h"

namespace cbit::hw::rmp {
namespace {

TEST(RmpEntry, BitsLandWhereTheLayoutSays) {
  RmpEntry e;
  e.assigned = true;
  e.validated = true;
  e.gpa = 0x12345000;
  e.asid = 0x3FF;
  e.vmpl_perms = {perm::kAll, perm::kRead, 0, perm::kWrite};
  const RawRmpEntry raw = e.encode();
  const uint64_t lo = load_le<uint64_t>(raw.data());
  const uint64_t hi = load_le<uint64_t>(raw.data() + 8);
  EXPECT_EQ(lo & 1, 1u);                               // bit 0 Assigned
  EXPECT_EQ(lo >> 62 & 1, 1u);                         // bit 62 Validated
  EXPECT_EQ(lo >> 12 & ((1ull << 39) - 1), 0x12345u);  // 50:12 GPA[51:12]
  EXPECT_EQ(lo >> 51 & 0x3FF, 0x3FFu);                 // 60:51 ASID
  EXPECT_EQ(lo >> 61 & 1, 0u);                         // VMSA clear
  EXPECT_EQ(hi, 0x0200011Full);                        // VMPL0..3 bytes
  EXPECT_EQ(RmpEntry::decode(raw), e);
}

TEST(RmpEntry, EveryFieldRoundTrips) {
  RmpEntry e;
  e.page_size_2m = e.immutable = e.vmsa = e.lock = true;
  e.subpage_count = 0x1FF;
  e.gpa = 0xFFFFFFFFF000;
  EXPECT_EQ(RmpEntry::decode(e.encode()), e);
  e.gpa = 1ull << 52;  // beyond 51:12: not representable, dropped
  EXPECT_EQ(RmpEntry::decode(e.encode()).gpa, 0u);
}

TEST(RmpEntry, StatesInTheFirmwaresPredicateOrder) {
  RmpEntry e;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::Hypervisor);
  e.immutable = true;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::HvFixed);
  e.assigned = true;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::Firmware);
  e.vmsa = true;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::Context);
  e.vmsa = false;
  e.immutable = false;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::Reclaim);
  e.asid = 5;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::GuestInvalid);
  e.validated = true;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::GuestValid);
  e.immutable = true;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::PreSwap);
  e.validated = false;
  EXPECT_EQ(rmp_entry_get_state(e), PageState::PreGuest);
  RmpEntry bad;
  bad.validated = true;  // validated but not assigned: no state has it
  EXPECT_EQ(rmp_entry_get_state(bad), PageState::Invalid);
  EXPECT_STREQ(page_state_name(PageState::GuestValid), "GUEST_VALID");
}

TEST(RmpTable, EntryAddressFollowsTheApmFormula) {
  Dram dram(64ull << 20);
  const uint64_t size = rmp_table_size(dram.size());
  EXPECT_EQ(size, 1ull << 20);  // 16 KiB + 16384 entries * 16 B, rounded to 1 MiB
  const RmpBounds b{dram.size() - size, dram.size() - 1};
  RmpTable t(dram, b);
  EXPECT_EQ(t.entry_address(SysPhysAddr(0x5000))->value, b.base + 0x4000 + 5 * 16);
  EXPECT_TRUE(t.covers(SysPhysAddr(dram.size() - 1)));
  // Coverage ends where the table ends: ((END+1 - BASE - 16 KiB) / 16) pages.
  const uint64_t pages = (size - kBookkeepingSize) / kRmpEntrySize;
  EXPECT_FALSE(t.entry_address(SysPhysAddr(pages << 12)).has_value());
  EXPECT_TRUE(t.overlaps_table(SysPhysAddr(b.base + 0x100), 1));
  EXPECT_FALSE(t.overlaps_table(SysPhysAddr(b.base - 0x1000), 0x1000));

  RmpEntry e;
  e.assigned = true;
  e.asid = 3;
  t.write(SysPhysAddr(0x5000), e);
  EXPECT_EQ(t.read(SysPhysAddr(0x5FFF)), e);           // any byte of the page
  EXPECT_EQ(t.read(SysPhysAddr(0x6000)), RmpEntry{});  // the next page untouched
  uint8_t raw[16];
  dram.read(SysPhysAddr(b.base + 0x4000 + 5 * 16), raw);  // plaintext in DRAM
  EXPECT_EQ(raw[0] & 1, 1);
  t.set_asid_count(3, 7);
  EXPECT_EQ(t.asid_count(3), 7u);
  EXPECT_EQ(t.asid_count(kAsidCounters), 0u);  // beyond the bookkeeping area
}

TEST(RmpTable, SegmentedLookupGoesThroughTheSegmentTable) {
  Dram dram(256ull << 20);
  const RmpBounds b{0x1000000, 0, true, 27};  // 128 MiB segments
  RmpTable t(dram, b);
  EXPECT_FALSE(t.covers(SysPhysAddr(0x9000000)));  // RST empty: nothing covered
  t.write_segment(1, 1, 0x2000000);                // segment 1: covered, RMP at 32 MiB
  const SysPhysAddr spa(0x8000000 + 0x3000);       // page 3 of segment 1
  EXPECT_EQ(t.entry_address(spa)->value, 0x2000000u + 3 * 16);
  EXPECT_FALSE(t.entry_address(SysPhysAddr(0x3000)).has_value());  // segment 0 uncovered
  EXPECT_TRUE(t.overlaps_table(SysPhysAddr(0x2000000), 16));
}

}  // namespace
}  // namespace cbit::hw::rmp
