// A 2 MiB page through SNP_LAUNCH_UPDATE, PAGE_RECLAIM and PAGE_UNSMASH, checked against the RMP
// hardware's view of a 2 MiB page: RMPUPDATE stores it in all 512 of its 4 KiB entries
// (Page_Size=1, consecutive GPAs; hw/rmp/rmp_insn.h), and every check reads the entry of the
// 4 KiB piece it touches. So after the firmware has launched a 2 MiB page, any piece of it must
// pass the guest's RMP check through a 2 MiB nested mapping, PVALIDATE must see it validated,
// and the per-ASID counter (what SNP_ACTIVATE reads) must say 512. The controls: a 4 KiB nested
// mapping over it fails Page-Size, a rescinded page fails Validated.
#include <gtest/gtest.h>

#include "hw/rmp/rmp_check.h"
#include "hw/rmp/rmp_insn.h"
#include "snp_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using rmp::GuestAccess;
using rmp::GuestOp;
using rmp::PageState;
using rmp::RmpCheck;

constexpr uint64_t kGpa = 0x200000;
constexpr uint64_t kPieces[] = {0, 1, 300, 511};  // 4 KiB pieces of the 2 MiB page

uint64_t piece(uint64_t i) { return kGuest + i * kPageSize; }

RmpCheck guest_read(SnpRig& r, uint64_t i, unsigned nested_shift) {
  GuestAccess a;
  a.gpa = kGpa + i * kPageSize;
  a.asid = kSnpAsid;
  a.op = GuestOp::Read;
  a.private_access = true;
  a.nested_shift = nested_shift;
  return rmp::check_snp_guest(r.rmp(), SysPhysAddr(piece(i)), a).failed;
}

// A launching guest with a 2 MiB private page of known contents at kGuest (GPA kGpa), made
// private by the host's RMPUPDATE.
void big_page(SnpRig& r) {
  r.launching_guest();
  Bytes big(rmp::k2MiB);
  for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t(i / 4096 + i);
  r.host_write(kGuest, big);
  ASSERT_EQ(r.make_private(kGuest, kGpa, kSnpAsid, true), rmp::ret::kSuccess);
}

TEST(SnpLaunch2M, RmpupdateCountsTheHardwaresWay) {
  SnpRig r;
  big_page(r);
  // The hardware wrote all 512 entries Pre-Guest and counts 512 pages for the ASID.
  for (uint64_t i : kPieces) {
    const rmp::RmpEntry e = r.rmp().read(SysPhysAddr(piece(i)));
    EXPECT_TRUE(e.page_size_2m) << i;
    EXPECT_EQ(e.gpa, kGpa + i * kPageSize) << i;
    EXPECT_EQ(r.state(piece(i)), PageState::PreGuest) << i;
  }
  EXPECT_EQ(r.rmp().asid_count(kSnpAsid), rmp::kPagesPer2MiB);
}

TEST(SnpLaunch2M, EveryPieceIsGuestValidAfterLaunchUpdate) {
  SnpRig r;
  big_page(r);
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Normal, true), SevStatus::Success);
  for (uint64_t i : kPieces) {
    const rmp::RmpEntry e = r.rmp().read(SysPhysAddr(piece(i)));
    EXPECT_EQ(r.state(piece(i)), PageState::GuestValid) << i;
    EXPECT_TRUE(e.page_size_2m) << i;
    EXPECT_EQ(e.gpa, kGpa + i * kPageSize) << i;
    EXPECT_EQ(e.asid, kSnpAsid) << i;
    EXPECT_EQ(e.vmpl_perms[0], rmp::perm::kAll) << i;
  }
  for (uint64_t i = 0; i < rmp::kPagesPer2MiB; ++i)
    ASSERT_FALSE(r.rmp().read(SysPhysAddr(piece(i))).immutable) << i;
  // Ownership did not change: the counter still says 512, the region has no 4 KiB subpages.
  EXPECT_EQ(r.rmp().asid_count(kSnpAsid), rmp::kPagesPer2MiB);
  EXPECT_EQ(r.rmp().read(SysPhysAddr(kGuest)).subpage_count, 0u);
  // The guest's accesses: every piece passes through a 2 MiB nested mapping; a 4 KiB one is a
  // page-size mismatch (control).
  for (uint64_t i : kPieces) {
    EXPECT_EQ(guest_read(r, i, 21), RmpCheck::Pass) << i;
    EXPECT_EQ(guest_read(r, i, 12), RmpCheck::PageSize) << i;
  }
  // And the guest reads its data through its key.
  const Bytes got = r.guest_read(piece(300), 64, kSnpAsid);
  for (size_t k = 0; k < got.size(); ++k)
    EXPECT_EQ(got[k], uint8_t(300 + 300 * kPageSize + k)) << k;
}

TEST(SnpLaunch2M, PvalidateSeesTheLaunchedPageAndRescindsAllOfIt) {
  SnpRig r;
  big_page(r);
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Normal, true), SevStatus::Success);
  const rmp::GuestTarget g{SysPhysAddr(kGuest), kGpa, kSnpAsid};
  // Already validated by the launch: nothing changes (CF=1, Linux PVALIDATE_FAIL_NOUPDATE).
  auto res = rmp::pvalidate(r.rmp(), g, true, true);
  EXPECT_EQ(res.eax, rmp::ret::kSuccess);
  EXPECT_TRUE(res.cf);
  // A 4 KiB PVALIDATE inside it: #NPF with SIZEM (KVM PSMASHes).
  const rmp::GuestTarget g300{SysPhysAddr(piece(300)), kGpa + 300 * kPageSize, kSnpAsid};
  EXPECT_EQ(rmp::pvalidate(r.rmp(), g300, false, true).fault, rmp::GuestInsnFault::NpfSizeM);
  // Rescind: every piece loses Validated, and the guest's read faults there (control).
  res = rmp::pvalidate(r.rmp(), g, true, false);
  EXPECT_FALSE(res.cf);
  for (uint64_t i : kPieces) EXPECT_EQ(guest_read(r, i, 21), RmpCheck::Validated) << i;
  ASSERT_FALSE(rmp::pvalidate(r.rmp(), g, true, true).cf);
  for (uint64_t i : kPieces) EXPECT_EQ(guest_read(r, i, 21), RmpCheck::Pass) << i;
  // PSMASH keeps each piece's state: 4 KiB PVALIDATE of piece 300 now changes nothing.
  ASSERT_EQ(rmp::psmash(r.m.rmp(), kGuest), rmp::ret::kSuccess);
  res = rmp::pvalidate(r.rmp(), g300, false, true);
  EXPECT_EQ(res.fault, rmp::GuestInsnFault::None);
  EXPECT_TRUE(res.cf);
  EXPECT_EQ(guest_read(r, 300, 12), RmpCheck::Pass);
}

TEST(SnpLaunch2M, ReclaimAndUnsmashWriteAll512Entries) {
  SnpRig r;
  big_page(r);
  // Pre-Guest 2 MiB -> Guest-Invalid in every piece.
  ASSERT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest | 1)), SevStatus::Success);
  for (uint64_t i : kPieces) EXPECT_EQ(r.state(piece(i)), PageState::GuestInvalid) << i;
  EXPECT_EQ(r.rmp().asid_count(kSnpAsid), rmp::kPagesPer2MiB);
  // Back to the host, then 512 immutable 4 KiB pages folded by PAGE_UNSMASH: the region's
  // subpage count goes from 511 to 0 and every piece reads Page_Size=1.
  ASSERT_EQ(r.make_shared(kGuest, true), rmp::ret::kSuccess);
  EXPECT_EQ(r.rmp().asid_count(kSnpAsid), 0u);
  for (uint64_t i = 0; i < rmp::kPagesPer2MiB; ++i)
    ASSERT_EQ(r.make_private(piece(i), kGpa + i * kPageSize, kSnpAsid), rmp::ret::kSuccess);
  EXPECT_EQ(r.rmp().read(SysPhysAddr(kGuest)).subpage_count, 511u);
  ASSERT_EQ(r.cmd(SevCmd::SnpPageUnsmash, SnpRig::addr_buf(kGuest)), SevStatus::Success);
  for (uint64_t i : kPieces) {
    const rmp::RmpEntry e = r.rmp().read(SysPhysAddr(piece(i)));
    EXPECT_TRUE(e.page_size_2m) << i;
    EXPECT_EQ(e.gpa, kGpa + i * kPageSize) << i;
  }
  EXPECT_EQ(r.rmp().read(SysPhysAddr(kGuest)).subpage_count, 0u);
  EXPECT_EQ(r.rmp().asid_count(kSnpAsid), rmp::kPagesPer2MiB);
  // The folded page launches as one 2 MiB page, and a 2 MiB reclaim afterwards is refused only
  // for the wrong size (control).
  ASSERT_EQ(r.launch_update(kGuest, SnpPageType::Zero, true), SevStatus::Success);
  EXPECT_EQ(guest_read(r, 511, 21), RmpCheck::Pass);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest)), SevStatus::InvalidPageSize);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
