// The RMP page-state transitions the SNP firmware makes (SNP-FACTS.md §1.3, §2.3, §2.4; ASPFW
// snp_mcmd_page_reclaim, gctx_create, decommission, page_unsmash), table-driven: every starting
// state, what SNP_PAGE_RECLAIM answers and the state it leaves.
#include <gtest/gtest.h>

#include "snp_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using rmp::PageState;
using rmp::RmpEntry;

RmpEntry entry(bool a, bool v, uint32_t asid, bool imm, uint64_t gpa = 0, bool vmsa = false) {
  RmpEntry e;
  e.assigned = a;
  e.validated = v;
  e.asid = asid;
  e.immutable = imm;
  e.gpa = gpa;
  e.vmsa = vmsa;
  return e;
}

struct Row {
  const char* from;
  RmpEntry e;
  SevStatus status;
  PageState after;
};

TEST(SnpPageReclaim, TransitionTable) {
  const Row rows[] = {
      {"Hypervisor", entry(0, 0, 0, 0), SevStatus::Success, PageState::Hypervisor},
      {"HV_Fixed", entry(0, 0, 0, 1), SevStatus::InvalidPageState, PageState::HvFixed},
      {"Firmware", entry(1, 0, 0, 1), SevStatus::Success, PageState::Reclaim},
      {"Reclaim", entry(1, 0, 0, 0), SevStatus::Success, PageState::Reclaim},
      {"Context", entry(1, 0, 0, 1, 0, true), SevStatus::InvalidPageState, PageState::Context},
      {"Metadata", entry(1, 0, 0, 1, 1ull << 36), SevStatus::Success, PageState::Reclaim},
      {"Pre-Guest", entry(1, 0, 3, 1), SevStatus::Success, PageState::GuestInvalid},
      {"Pre-Swap", entry(1, 1, 3, 1), SevStatus::Success, PageState::GuestValid},
      {"Guest-Invalid", entry(1, 0, 3, 0), SevStatus::Success, PageState::GuestInvalid},
      {"Guest-Valid", entry(1, 1, 3, 0), SevStatus::Success, PageState::GuestValid},
  };
  for (const Row& row : rows) {
    SnpRig r;
    r.init();
    ASSERT_EQ(rmp::rmp_entry_get_state(row.e), rmp::rmp_entry_get_state(row.e));
    r.rmp_set(kGuest, row.e);
    EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest)), row.status) << row.from;
    EXPECT_EQ(r.state(kGuest), row.after) << row.from;
  }
}

TEST(SnpPageReclaim, SizeAlignmentAndState) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest)),
            SevStatus::InvalidPlatformState);
  r.init();
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest | 2)), SevStatus::InvalidParam);
  RmpEntry e = entry(1, 0, 3, 1);
  r.rmp_set(kGuest, e);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest | 1)),
            SevStatus::InvalidPageSize);
  e.page_size_2m = true;
  r.rmp_set(kGuest + 0x1000, e);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf((kGuest + 0x1000) | 1)),
            SevStatus::InvalidAddress);
  r.rmp_set(kGuest, e);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGuest | 1)), SevStatus::Success);
  EXPECT_EQ(r.state(kGuest), PageState::GuestInvalid);
}

TEST(SnpGctx, CreateAndDecommissionFlipTheVmsaBit) {
  SnpRig r;
  r.init();
  r.make_firmware(kGctx);
  EXPECT_EQ(r.state(kGctx), PageState::Firmware);
  ASSERT_EQ(r.cmd(SevCmd::SnpGctxCreate, SnpRig::addr_buf(kGctx)), SevStatus::Success);
  EXPECT_EQ(r.state(kGctx), PageState::Context);
  ASSERT_EQ(r.cmd(SevCmd::SnpDecommission, SnpRig::addr_buf(kGctx)), SevStatus::Success);
  EXPECT_EQ(r.state(kGctx), PageState::Firmware);
  ASSERT_EQ(r.cmd(SevCmd::SnpPageReclaim, SnpRig::addr_buf(kGctx)), SevStatus::Success);
  EXPECT_EQ(r.state(kGctx), PageState::Reclaim);
}

TEST(SnpPageUnsmash, FoldsConsistent4KEntries) {
  SnpRig r;
  r.init();
  EXPECT_EQ(r.cmd(SevCmd::SnpPageUnsmash, SnpRig::addr_buf(kGuest + 0x1000)),
            SevStatus::InvalidParam);
  for (uint64_t i = 0; i < rmp::kPagesPer2MiB; ++i)
    r.rmp_set(kGuest + i * kPageSize, entry(1, 0, 3, 1, 0x200000 + i * kPageSize));
  RmpEntry odd = entry(1, 0, 3, 1, 0x200000 + 7 * kPageSize);  // GPA out of sequence
  r.rmp_set(kGuest + 5 * kPageSize, odd);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageUnsmash, SnpRig::addr_buf(kGuest)), SevStatus::InvalidPageState);
  r.rmp_set(kGuest + 5 * kPageSize, entry(1, 0, 3, 1, 0x200000 + 5 * kPageSize));
  EXPECT_EQ(r.cmd(SevCmd::SnpPageUnsmash, SnpRig::addr_buf(kGuest)), SevStatus::Success);
  EXPECT_TRUE(r.rmp().read(SysPhysAddr(kGuest)).page_size_2m);
  EXPECT_EQ(r.cmd(SevCmd::SnpPageUnsmash, SnpRig::addr_buf(kRmpBase - (1ull << 20))),
            SevStatus::InvalidAddress);  // the 2 MiB region holds the RMP
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
