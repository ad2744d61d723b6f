// RMPUPDATE, PSMASH, PVALIDATE and RMPADJUST on the table in real DRAM (hw/rmp/rmp_insn.h):
// every return code, CF, PSMASH's copy and the bookkeeping (SNP-FACTS.md §1.4).
#include "hw/rmp/rmp_insn.h"

#include <gtest/gtest.h>

#include "hw/dram/dram.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw::rmp {
namespace {

constexpr uint64_t kRmpBase = 0x3000000;  // 48 MiB; the table covers 0..64 MiB
constexpr uint64_t kGuestPage = 0x200000;
constexpr uint64_t kRegion = 0x400000;  // a 2 MiB region
constexpr uint32_t kAsid = 5;

struct Table {
  Table() : dram(64ull << 20), rmp(dram) {
    rmp.enable({kRmpBase, kRmpBase + rmp_table_size(64ull << 20) - 1, false, 0});
  }
  RmpTable& t() { return rmp.table(); }
  RmpEntry at(uint64_t spa) { return t().read(SysPhysAddr(spa)); }
  uint32_t update(uint64_t spa, uint64_t gpa, bool assigned, bool big = false,
                  uint32_t asid = kAsid, bool immutable = false) {
    RmpState s;
    s.gpa = gpa;
    s.assigned = assigned;
    s.pagesize = big;
    s.immutable = immutable;
    s.asid = assigned ? asid : 0;
    if (!assigned) s.gpa = 0;
    return rmpupdate(rmp, spa, s, 509);
  }
  Dram dram;
  Rmp rmp;
};

TEST(RmpUpdate, AssignsWithVmpl0PermissionsAndClearsValidated) {
  Table r;
  RmpEntry stale = r.at(kGuestPage);
  stale.validated = true;
  r.t().write(SysPhysAddr(kGuestPage), stale);
  ASSERT_EQ(r.update(kGuestPage, 0x7000, true), ret::kSuccess);
  const RmpEntry e = r.at(kGuestPage);
  EXPECT_TRUE(e.assigned);
  EXPECT_EQ(e.asid, kAsid);
  EXPECT_EQ(e.gpa, 0x7000u);
  EXPECT_FALSE(e.validated) << "a new mapping is not validated";
  EXPECT_EQ(e.vmpl_perms[0], perm::kAll);
  EXPECT_EQ(e.vmpl_perms[1], 0);
  EXPECT_EQ(r.t().asid_count(kAsid), 1u);
  ASSERT_EQ(r.update(kGuestPage, 0, false), ret::kSuccess);
  EXPECT_TRUE(hypervisor_owned(r.at(kGuestPage)));
  EXPECT_EQ(r.t().asid_count(kAsid), 0u);
}

TEST(RmpUpdate, FailInputForBadOperands) {
  Table r;
  EXPECT_EQ(r.update(kGuestPage + 8, 0, true), ret::kFailInput);             // misaligned SPA
  EXPECT_EQ(r.update(1ull << 40, 0, true), ret::kFailInput);                 // not covered
  EXPECT_EQ(r.update(kGuestPage + 0x1000, 0, true, true), ret::kFailInput);  // 2M misaligned
  RmpState s;
  s.assigned = 1;
  s.asid = kAsid;
  s.rsvd = 1;
  EXPECT_EQ(rmpupdate(r.rmp, kGuestPage, s, 509), ret::kFailInput);  // reserved byte
  s.rsvd = 0;
  s.asid = 510;
  EXPECT_EQ(rmpupdate(r.rmp, kGuestPage, s, 509), ret::kFailInput);  // ASID beyond CPUID
  s.asid = kAsid;
  s.gpa = 0x123;
  EXPECT_EQ(rmpupdate(r.rmp, kGuestPage, s, 509), ret::kFailInput);  // unaligned GPA
  s.gpa = 0;
  EXPECT_EQ(rmpupdate(r.rmp, kGuestPage, s, 509), ret::kSuccess);  // control
}

TEST(RmpUpdate, FailPermissionOnImmutableAndOnTheRmpItself) {
  Table r;
  ASSERT_EQ(r.update(kGuestPage, 0, true, false, 0, /*immutable=*/true), ret::kSuccess);
  EXPECT_TRUE(firmware_owned(r.at(kGuestPage)));
  EXPECT_EQ(r.update(kGuestPage, 0, false), ret::kFailPermission);
  EXPECT_EQ(r.update(kRmpBase, 0, true), ret::kFailPermission);
  EXPECT_EQ(r.update(kGuestPage + kPageSize, 0, true), ret::kSuccess);  // control
}

TEST(RmpUpdate, FailInUseWhileVmrunHoldsThePage) {
  Table r;
  r.rmp.mark_in_use(SysPhysAddr(kGuestPage));
  EXPECT_EQ(r.update(kGuestPage, 0, true), ret::kFailInUse);
  r.rmp.clear_in_use(SysPhysAddr(kGuestPage));
  EXPECT_EQ(r.update(kGuestPage, 0, true), ret::kSuccess);
}

TEST(RmpUpdate, FailOverlapBothWays) {
  Table r;
  ASSERT_EQ(r.update(kRegion + 5 * kPageSize, 0x5000, true), ret::kSuccess);
  EXPECT_EQ(r.at(kRegion).subpage_count, 1u) << "kept in the 2 MiB-aligned entry";
  EXPECT_EQ(r.update(kRegion, 0, true, true), ret::kFailOverlap) << "2M over an assigned 4K";
  ASSERT_EQ(r.update(kRegion + 5 * kPageSize, 0, false), ret::kSuccess);
  EXPECT_EQ(r.at(kRegion).subpage_count, 0u);
  ASSERT_EQ(r.update(kRegion, 0x200000, true, true), ret::kSuccess);
  EXPECT_EQ(r.t().asid_count(kAsid), 512u);
  EXPECT_EQ(r.at(kRegion + 7 * kPageSize).gpa, 0x207000u);
  EXPECT_EQ(r.update(kRegion + 7 * kPageSize, 0, false), ret::kFailOverlap)
      << "a 4K change inside an assigned 2M page";
}

TEST(Psmash, SplitsAndCopiesEverythingIncludingValidated) {
  Table r;
  ASSERT_EQ(r.update(kRegion, 0x600000, true, true), ret::kSuccess);
  ASSERT_EQ(pvalidate(r.t(), {SysPhysAddr(kRegion), 0x600000, kAsid}, true, true).eax, 0u);
  ASSERT_EQ(psmash(r.rmp, kRegion), ret::kSuccess);
  for (uint64_t i : {0ull, 1ull, 300ull, 511ull}) {
    const RmpEntry e = r.at(kRegion + i * kPageSize);
    EXPECT_FALSE(e.page_size_2m);
    EXPECT_TRUE(e.validated) << i;
    EXPECT_EQ(e.asid, kAsid);
    EXPECT_EQ(e.gpa, 0x600000 + i * kPageSize);
    EXPECT_EQ(e.vmpl_perms[0], perm::kAll);
  }
  EXPECT_EQ(r.t().asid_count(kAsid), 512u) << "same pages, same count";
  EXPECT_EQ(psmash(r.rmp, kRegion), ret::kFailBadAddr) << "no longer a 2M entry";
}

TEST(Psmash, FailInputPermissionInUse) {
  Table r;
  EXPECT_EQ(psmash(r.rmp, kRegion + kPageSize), ret::kFailInput);
  EXPECT_EQ(psmash(r.rmp, 1ull << 40), ret::kFailInput);
  ASSERT_EQ(r.update(kRegion, 0x600000, true, true), ret::kSuccess);
  r.rmp.mark_in_use(SysPhysAddr(kRegion + 9 * kPageSize));
  EXPECT_EQ(psmash(r.rmp, kRegion), ret::kFailInUse);
  r.rmp.clear_in_use(SysPhysAddr(kRegion + 9 * kPageSize));
  RmpEntry head = r.at(kRegion);
  head.immutable = true;
  r.t().write(SysPhysAddr(kRegion), head);
  EXPECT_EQ(psmash(r.rmp, kRegion), ret::kFailPermission);
}

TEST(Pvalidate, CfWhenNothingChangesAndSizeRules) {
  Table r;
  ASSERT_EQ(r.update(kGuestPage, 0x9000, true), ret::kSuccess);
  const GuestTarget g{SysPhysAddr(kGuestPage), 0x9000, kAsid};
  auto x = pvalidate(r.t(), g, false, true);
  EXPECT_EQ(x.eax, 0u);
  EXPECT_FALSE(x.cf);
  EXPECT_TRUE(r.at(kGuestPage).validated);
  x = pvalidate(r.t(), g, false, true);
  EXPECT_TRUE(x.cf) << "already validated";
  x = pvalidate(r.t(), g, false, false);
  EXPECT_FALSE(x.cf);
  EXPECT_FALSE(r.at(kGuestPage).validated);
  EXPECT_EQ(pvalidate(r.t(), g, true, true).eax, ret::kFailSizeMismatch) << "2M on a 4K entry";
  EXPECT_EQ(pvalidate(r.t(), {SysPhysAddr(kGuestPage), 0x9000, kAsid + 1}, false, true).fault,
            GuestInsnFault::Npf)
      << "another guest's page";
  EXPECT_EQ(pvalidate(r.t(), {SysPhysAddr(kGuestPage), 0xA000, kAsid}, false, true).fault,
            GuestInsnFault::Npf)
      << "reverse map";
  ASSERT_EQ(r.update(kRegion, 0x600000, true, true), ret::kSuccess);
  EXPECT_EQ(pvalidate(r.t(), {SysPhysAddr(kRegion), 0x600000, kAsid}, false, true).fault,
            GuestInsnFault::NpfSizeM)
      << "4K on a 2M entry: SIZEM, the host PSMASHes";
}

TEST(Rmpadjust, VmplRules) {
  Table r;
  ASSERT_EQ(r.update(kGuestPage, 0x9000, true), ret::kSuccess);
  const GuestTarget g{SysPhysAddr(kGuestPage), 0x9000, kAsid};
  ASSERT_EQ(pvalidate(r.t(), g, false, true).eax, ret::kSuccess);
  const uint64_t read1 = 1 | uint64_t{perm::kRead} << 8;
  auto x = rmpadjust(r.t(), g, false, read1, 0);
  EXPECT_EQ(x.eax, 0u);
  EXPECT_EQ(r.at(kGuestPage).vmpl_perms[1], perm::kRead);
  EXPECT_TRUE(rmpadjust(r.t(), g, false, read1, 0).cf) << "no change";
  // VMPL1 cannot change itself or VMPL0, nor grant what it lacks.
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1, 1).eax, ret::kFailPermission);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 0, 1).eax, ret::kFailPermission);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 2 | uint64_t{perm::kWrite} << 8, 1).eax,
            ret::kFailPermission);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 2 | uint64_t{perm::kRead} << 8, 1).eax, 0u);  // control
  // VMSA only from VMPL0; reserved bits are FAIL_INPUT; the SSS bit is a permission like any.
  EXPECT_EQ(rmpadjust(r.t(), g, false, 3 | rmpadjust_attr::kVmsa, 1).eax, ret::kFailPermission);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1 | rmpadjust_attr::kVmsa, 0).eax, 0u);
  EXPECT_TRUE(r.at(kGuestPage).vmsa);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1 | 0x20ull << 8, 0).eax, ret::kFailInput);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1 | 1ull << 17, 0).eax, ret::kFailInput);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 4, 0).eax, ret::kFailInput);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1 | uint64_t{perm::kSupervisorShadowStack} << 8, 0).eax, 0u);
  EXPECT_EQ(rmpadjust(r.t(), g, true, 1, 0).eax, ret::kFailSizeMismatch);
}

// RMPADJUST needs a validated page: on one the guest has not validated it is a fault, not a
// return code (#VC PAGE_NOT_VALIDATED at the core), and nothing changes; after PVALIDATE the same
// RMPADJUST succeeds (control). The operand and ownership checks still come first.
TEST(Rmpadjust, UnvalidatedPageFaultsAndChangesNothing) {
  Table r;
  ASSERT_EQ(r.update(kGuestPage, 0x9000, true), ret::kSuccess);
  const GuestTarget g{SysPhysAddr(kGuestPage), 0x9000, kAsid};
  const uint64_t read1 = 1 | uint64_t{perm::kRead} << 8;
  ASSERT_FALSE(r.at(kGuestPage).validated);
  const auto x = rmpadjust(r.t(), g, false, read1 | rmpadjust_attr::kVmsa, 0);
  EXPECT_EQ(x.fault, GuestInsnFault::NotValidated);
  EXPECT_EQ(r.at(kGuestPage).vmpl_perms[1], 0);
  EXPECT_FALSE(r.at(kGuestPage).vmsa);
  // Before it: FAIL_INPUT for bad operands, #NPF for another guest's page.
  EXPECT_EQ(rmpadjust(r.t(), g, false, 4, 0).eax, ret::kFailInput);
  EXPECT_EQ(rmpadjust(r.t(), {g.spa, g.gpa, kAsid + 1}, false, read1, 0).fault,
            GuestInsnFault::Npf);
  // After it: even a VMPL1 caller's FAIL_PERMISSION comes second.
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1, 1).fault, GuestInsnFault::NotValidated);
  ASSERT_EQ(pvalidate(r.t(), g, false, true).eax, ret::kSuccess);
  const auto ok = rmpadjust(r.t(), g, false, read1 | rmpadjust_attr::kVmsa, 0);
  EXPECT_EQ(ok.fault, GuestInsnFault::None);
  EXPECT_EQ(ok.eax, ret::kSuccess);
  EXPECT_EQ(r.at(kGuestPage).vmpl_perms[1], perm::kRead);
  EXPECT_TRUE(r.at(kGuestPage).vmsa);
  EXPECT_EQ(rmpadjust(r.t(), g, false, 1, 1).eax, ret::kFailPermission);
}

TEST(RmpRead, RecordHasLinuxLayoutAndRegionStatus) {
  Table r;
  ASSERT_EQ(r.update(kRegion + 3 * kPageSize, 0x5000, true), ret::kSuccess);
  const auto rec = rmpread_record(r.t(), SysPhysAddr(kRegion + 3 * kPageSize));
  EXPECT_EQ(rec[0], 0x00);
  EXPECT_EQ(rec[1], 0x50);  // gpa 0x5000
  EXPECT_EQ(rec[8], 1);     // assigned
  EXPECT_EQ(rec[9], 2);     // 4K, hpage_region_status
  EXPECT_EQ(rec[12], kAsid);
  const auto other = rmpread_record(r.t(), SysPhysAddr(kGuestPage));
  EXPECT_EQ(other[8], 0);
  EXPECT_EQ(other[9], 0);
}

}  // namespace
}  // namespace cbit::hw::rmp
