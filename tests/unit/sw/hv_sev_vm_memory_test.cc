// KVM memslots: contiguous kernel pages per slot, zero-filled through the host key, the
// hypervisor's view through the host kernel's mapping.
#include <gtest/gtest.h>

#include "common/error.h"
#include "hv_sev_rig.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv::test {
namespace {

TEST(HvSev, MemslotsMapGpasToContiguousHostPages) {
  HostRig r;
  VmMemory mem(r.k);
  const MemSlot& ram = mem.add_slot("ram", GuestPhysAddr(0), 3ull << 20);  // not a power of two
  const SysPhysAddr ram_spa = ram.spa;
  mem.add_slot("flash", GuestPhysAddr(0xffe00000), 2ull << 20, true);
  ASSERT_EQ(mem.slots().size(), 2u);
  EXPECT_EQ(mem.gpa_to_spa(GuestPhysAddr(0x12345)), ram_spa + 0x12345);
  EXPECT_EQ(mem.gpa_to_spa(GuestPhysAddr((3ull << 20) - 1)), ram_spa + ((3ull << 20) - 1));
  EXPECT_FALSE(mem.gpa_to_spa(GuestPhysAddr(3ull << 20)));
  EXPECT_EQ(mem.slot_of(GuestPhysAddr(0xfffffff0))->name, "flash");
  EXPECT_TRUE(mem.slot_of(GuestPhysAddr(0xfffffff0))->readonly);
  EXPECT_EQ(mem.slots()[0].hva, r.k.__va(ram_spa));
  EXPECT_EQ(ram_spa.value % (4ull << 20), 0u);  // one naturally aligned buddy block
  // Overlaps and malformed ranges are refused.
  EXPECT_THROW(mem.add_slot("dup", GuestPhysAddr(0x100000), 4096), InputError);
  EXPECT_THROW(mem.add_slot("odd", GuestPhysAddr(0x800), 4096), InputError);
  EXPECT_THROW(mem.add_slot("empty", GuestPhysAddr(0x400000), 0), InputError);
  EXPECT_THROW(mem.add_slot("huge", GuestPhysAddr(1ull << 40), 1ull << 30), InputError);  // OOM
  // The pages after the 3 MiB went back to the allocator: the next slot can use them.
  const MemSlot& next = mem.add_slot("next", GuestPhysAddr(0x400000), 4096);
  EXPECT_GE(next.spa, ram_spa + (3ull << 20));
  EXPECT_LT(next.spa, ram_spa + (4ull << 20));
}

TEST(HvSev, FreshSlotsReadZeroThroughTheHostKeyNotInTheCells) {
  for (bool sme : {true, false}) {
    HostRig r("milan", {}, 11, sme);
    VmMemory mem(r.k);
    const MemSlot& s = mem.add_slot("ram", GuestPhysAddr(0), 64 * 1024);
    Bytes seen(s.size, 0xff);
    mem.read(s.gpa, seen);
    EXPECT_EQ(seen, Bytes(s.size, 0)) << sme;
    r.m.cache().wbinvd();
    Bytes cells(s.size);
    r.m.dram().read(s.spa, cells);
    // Under SME the zeros are stored encrypted with the host key; without, as zeros.
    EXPECT_EQ(cells == Bytes(s.size, 0), !sme) << sme;
  }
}

TEST(HvSev, HypervisorViewSpansSlotsAndRefusesHoles) {
  HostRig r;
  VmMemory mem(r.k);
  mem.add_slot("a", GuestPhysAddr(0), 8192);
  mem.add_slot("b", GuestPhysAddr(8192), 8192);
  Bytes data(6000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 13);
  mem.write(GuestPhysAddr(5000), data);  // crosses from slot a into slot b
  Bytes back(data.size());
  mem.read(GuestPhysAddr(5000), back);
  EXPECT_EQ(back, data);
  // A range running past the last slot is refused before anything is written.
  Bytes before(4096);
  mem.read(GuestPhysAddr(12288), before);
  EXPECT_THROW(mem.write(GuestPhysAddr(12288), Bytes(8192, 0xaa)), InputError);
  Bytes after(4096);
  mem.read(GuestPhysAddr(12288), after);
  EXPECT_EQ(after, before);
  EXPECT_THROW(mem.read(GuestPhysAddr(1ull << 33), back), InputError);
}

TEST(HvSev, SlotWithContentsIsTheImageAndZeros) {
  HostRig r;
  VmMemory mem(r.k);
  Bytes image(300 * 1024 + 48);  // above the non-temporal threshold, not whole lines
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7 + 1);
  const uint64_t size = 512 * 1024, offset = 100 * 1024 + 16;
  mem.add_slot_with_contents("rom", GuestPhysAddr(0x100000), size, image, offset);
  Bytes all(size);
  mem.read(GuestPhysAddr(0x100000), all);
  Bytes want(size, 0);
  for (size_t i = 0; i < image.size(); ++i) want[offset + i] = image[i];
  EXPECT_EQ(all, want);
  EXPECT_TRUE(mem.slots()[0].readonly);
  EXPECT_THROW(mem.add_slot_with_contents("big", GuestPhysAddr(0), 4096, image), InputError);
}

}  // namespace
}  // namespace cbit::sw::hv::test
