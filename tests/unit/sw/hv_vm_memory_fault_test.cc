// VmMemory's first-touch slots: a page is cleared through the host's mapping when it is first
// written or pinned (do_anonymous_page(), kvm_gmem_prepare_folio()), read as the zero page before
// that, and filled without clearing by populate() (kvm_gmem_populate()). Until then the frame
// keeps what it held before.
#include <gtest/gtest.h>

#include "common/error.h"
#include "hv_sev_rig.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv::test {
namespace {

constexpr uint8_t kStale = 0x5a;  // what the frames held before the slot was made

struct FirstTouchSlot {
  HostRig r{"milan", {}, 11, /*sme=*/true};
  VmMemory mem{r.k};
  const MemSlot* s;
  FirstTouchSlot() {
    s = &mem.add_slot("ram", GuestPhysAddr(0), 4 * kPageSize, false,
                      VmMemory::Fault::kOnFirstTouch);
    r.m.cache().wbinvd();
    r.m.dram().write(s->spa, Bytes(4 * kPageSize, kStale));
  }
  Bytes cells(unsigned page) {
    r.m.cache().wbinvd();
    Bytes c(kPageSize);
    r.m.dram().read(s->spa + page * kPageSize, c);
    return c;
  }
  Bytes view(unsigned page) {
    Bytes v(kPageSize, 0xee);
    mem.read(GuestPhysAddr(page * kPageSize), v);
    return v;
  }
};

TEST(HvVmMemory, UntouchedPageReadsAsZeroPageAndLeavesTheFrameAlone) {
  FirstTouchSlot t;
  EXPECT_FALSE(t.mem.present(GuestPhysAddr(0)));
  EXPECT_EQ(t.view(0), Bytes(kPageSize, 0));
  // The read faulted nothing in: the cells still hold the stale bytes.
  EXPECT_FALSE(t.mem.present(GuestPhysAddr(0)));
  EXPECT_EQ(t.cells(0), Bytes(kPageSize, kStale));
}

TEST(HvVmMemory, FirstWriteClearsItsPageOnly) {
  FirstTouchSlot t;
  const Bytes data{1, 2, 3, 4, 5, 6, 7, 8};
  t.mem.write(GuestPhysAddr(kPageSize + 100), data);
  EXPECT_TRUE(t.mem.present(GuestPhysAddr(kPageSize)));
  Bytes want(kPageSize, 0);
  std::copy(data.begin(), data.end(), want.begin() + 100);
  EXPECT_EQ(t.view(1), want);  // the rest of the page was cleared, not left stale
  EXPECT_NE(t.cells(1), Bytes(kPageSize, kStale));  // host-key ciphertext now
  // The neighbours were not touched.
  EXPECT_FALSE(t.mem.present(GuestPhysAddr(0)));
  EXPECT_FALSE(t.mem.present(GuestPhysAddr(2 * kPageSize)));
  EXPECT_EQ(t.cells(0), Bytes(kPageSize, kStale));
  EXPECT_EQ(t.cells(2), Bytes(kPageSize, kStale));
}

TEST(HvVmMemory, FaultInClearsAndPopulateDoesNot) {
  FirstTouchSlot t;
  t.mem.fault_in(GuestPhysAddr(0), 1);
  EXPECT_EQ(t.view(0), Bytes(kPageSize, 0));
  EXPECT_NE(t.cells(0), Bytes(kPageSize, kStale));
  // Control: populate() marks the page present without clearing, so the stale cells show
  // through the host's view (decrypted with the host key: not zeros, not the stale bytes).
  t.mem.populate(GuestPhysAddr(3 * kPageSize), kPageSize);
  EXPECT_TRUE(t.mem.present(GuestPhysAddr(3 * kPageSize)));
  EXPECT_EQ(t.cells(3), Bytes(kPageSize, kStale));
  EXPECT_NE(t.view(3), Bytes(kPageSize, 0));
  // Outside the slots: refused, nothing faulted.
  EXPECT_THROW(t.mem.fault_in(GuestPhysAddr(3 * kPageSize), 2 * kPageSize), InputError);
  EXPECT_FALSE(t.mem.present(GuestPhysAddr(8 * kPageSize)));
}

TEST(HvVmMemory, PrefaultedSlotIsPresentAndClearedAtOnce) {
  HostRig r("milan", {}, 11, true);
  VmMemory mem(r.k);
  const MemSlot& s = mem.add_slot("ram", GuestPhysAddr(0), 2 * kPageSize);
  EXPECT_TRUE(mem.present(GuestPhysAddr(0)));
  EXPECT_TRUE(mem.present(GuestPhysAddr(kPageSize)));
  r.m.cache().wbinvd();
  Bytes c(kPageSize);
  r.m.dram().read(s.spa, c);
  EXPECT_NE(c, Bytes(kPageSize, 0));  // the host key's zeros, written at creation
}

}  // namespace
}  // namespace cbit::sw::hv::test
