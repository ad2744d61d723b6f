// The RMP access checks of APM Table 15-39 (hw/rmp/rmp_check.h), one failure per check with the
// control access that passes, in the table's priority order (SNP-FACTS.md §1.5).
#include "hw/rmp/rmp_check.h"

#include <gtest/gtest.h>

#include "hw/dram/dram.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_insn.h"

namespace cbit::hw::rmp {
namespace {

constexpr uint64_t kPage = 0x200000;
constexpr uint64_t kGpa = 0x9000;
constexpr uint32_t kAsid = 3;

struct Rig {
  Rig() : dram(64ull << 20), rmp(dram) {
    rmp.enable({0x3000000, 0x3000000 + rmp_table_size(64ull << 20) - 1, false, 0});
    RmpEntry e;
    e.assigned = e.validated = true;
    e.asid = kAsid;
    e.gpa = kGpa;
    e.vmpl_perms = {perm::kAll, perm::kRead, 0, 0};
    commit_entry(rmp.table(), SysPhysAddr(kPage), e);
  }
  GuestAccess access(GuestOp op = GuestOp::Read) const {
    GuestAccess a;
    a.gpa = kGpa;
    a.asid = kAsid;
    a.op = op;
    a.private_access = true;
    return a;
  }
  RmpCheck check(const GuestAccess& a, uint64_t spa = kPage) {
    return check_snp_guest(rmp.table(), SysPhysAddr(spa), a).failed;
  }
  void edit(void (*f)(RmpEntry&)) {
    RmpEntry e = rmp.table().read(SysPhysAddr(kPage));
    f(e);
    rmp.table().write(SysPhysAddr(kPage), e);
  }
  Dram dram;
  Rmp rmp;
};

TEST(RmpCheck, ControlPasses) {
  Rig r;
  EXPECT_EQ(r.check(r.access()), RmpCheck::Pass);
  EXPECT_EQ(r.check(r.access(GuestOp::Write)), RmpCheck::Pass);
  EXPECT_EQ(r.check(r.access(GuestOp::Fetch)), RmpCheck::Pass);
}

TEST(RmpCheck, CoveredThenGuestOwned) {
  Rig r;
  EXPECT_EQ(r.check(r.access(), 1ull << 40), RmpCheck::Covered);
  GuestAccess other = r.access();
  other.asid = kAsid + 1;
  EXPECT_EQ(r.check(other), RmpCheck::GuestOwned);
  EXPECT_EQ(r.check(r.access(), kPage + kPageSize), RmpCheck::GuestOwned) << "hypervisor page";
}

TEST(RmpCheck, ReverseMapMutablePageSizeInOrder) {
  Rig r;
  GuestAccess remap = r.access();
  remap.gpa = kGpa + kPageSize;  // the hypervisor mapped the page at another GPA
  EXPECT_EQ(r.check(remap), RmpCheck::ReverseMap);
  GuestAccess big = r.access();
  big.nested_shift = 21;
  EXPECT_EQ(r.check(big), RmpCheck::PageSize) << "nested 2M over a 4K RMP entry";
  r.edit([](RmpEntry& e) { e.validated = false; });
  EXPECT_EQ(r.check(big), RmpCheck::PageSize) << "Page-Size outranks Validated (NPF, not #VC)";
  r.edit([](RmpEntry& e) { e.immutable = true; });
  EXPECT_EQ(r.check(big), RmpCheck::Mutable);
}

TEST(RmpCheck, ValidatedThenVmpl) {
  Rig r;
  r.edit([](RmpEntry& e) { e.validated = false; });
  GuestAccess at1 = r.access(GuestOp::Write);
  at1.vmpl = 1;
  EXPECT_EQ(r.check(at1), RmpCheck::Validated) << "Validated outranks VMPL";
  r.edit([](RmpEntry& e) { e.validated = true; });
  EXPECT_EQ(r.check(at1), RmpCheck::Vmpl) << "VMPL1 has read only";
  at1.op = GuestOp::Read;
  EXPECT_EQ(r.check(at1), RmpCheck::Pass);
  at1.op = GuestOp::Fetch;
  EXPECT_EQ(r.check(at1), RmpCheck::Vmpl);
  GuestAccess at2 = r.access();
  at2.vmpl = 2;
  EXPECT_EQ(r.check(at2), RmpCheck::Vmpl);
}

TEST(RmpCheck, SharedWritesNeedHypervisorOwnedReadsDoNot) {
  Rig r;
  GuestAccess shared = r.access(GuestOp::Write);
  shared.private_access = false;
  EXPECT_EQ(r.check(shared), RmpCheck::HypervisorOwned);
  EXPECT_EQ(r.check(shared, kPage + kPageSize), RmpCheck::Pass);
  shared.op = GuestOp::Read;
  EXPECT_EQ(r.check(shared), RmpCheck::Pass);
}

TEST(RmpCheck, LegacyGuestsAndHostWrites) {
  Rig r;
  EXPECT_EQ(check_legacy_guest(r.rmp.table(), SysPhysAddr(kPage), true), RmpCheck::HypervisorOwned);
  EXPECT_EQ(check_legacy_guest(r.rmp.table(), SysPhysAddr(kPage), false), RmpCheck::Pass);
  EXPECT_EQ(check_host_write(r.rmp.table(), SysPhysAddr(kPage), 12), RmpCheck::HypervisorOwned);
  const SysPhysAddr neighbour(kPage + 8 * kPageSize);
  EXPECT_EQ(check_host_write(r.rmp.table(), neighbour, 12), RmpCheck::Pass);
  EXPECT_EQ(check_host_write(r.rmp.table(), neighbour, 21), RmpCheck::HypervisorOwned)
      << "a 2M host mapping over an assigned 4K page";
  EXPECT_EQ(check_host_write(r.rmp.table(), SysPhysAddr(0x600000), 21), RmpCheck::Pass);
}

}  // namespace
}  // namespace cbit::hw::rmp
