// Guest policy enforcement (NODBG, NOKS, ES) and the ASID rules: ranges per CPUID
// Fn8000_001F EDX, one guest per ASID, WBINVD on every core then DF_FLUSH before a used ASID is
// reused (AMD-ASPFW sev_mcmd.c activate_common, mcmd_df_flush_common, sev_mcmd_deactivate).
#include <gtest/gtest.h>

#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint32_t kNodbg = 1u << 0, kNoks = 1u << 1, kEs = 1u << 2;

SevStatus dbg_decrypt(Rig& r, uint32_t h, uint64_t src, uint64_t dst, uint32_t len) {
  Bytes b = Rig::dbg_buf(h, src, dst, len);
  return r.cmd(SevCmd::DbgDecrypt, b);
}

TEST(SevPolicy, NodbgRefusesDebugDecryption) {
  for (uint32_t policy : {kNodbg, 0u}) {
    Rig r;
    r.init();
    const uint32_t h = r.launch_start(policy);
    ASSERT_EQ(r.activate(h, 9), SevStatus::Success);
    const Bytes page = pattern_page(5);
    r.host_write(kGuestMem, page);
    ASSERT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
    const SevStatus st = dbg_decrypt(r, h, kGuestMem, (kScratch + 0x5000) | kC, kPageSize);
    Bytes enc = Rig::dbg_buf(h, (kScratch + 0x5000) | kC, kGuestMem, 16);
    const SevStatus st_enc = r.cmd(SevCmd::DbgEncrypt, enc);
    if (policy & kNodbg) {
      EXPECT_EQ(st, SevStatus::PolicyFailure);
      EXPECT_EQ(st_enc, SevStatus::PolicyFailure);
      EXPECT_NE(r.host_read(kScratch + 0x5000, kPageSize), page);
    } else {  // control: a debuggable guest's memory comes out in plaintext
      EXPECT_EQ(st, SevStatus::Success);
      EXPECT_EQ(r.host_read(kScratch + 0x5000, kPageSize), page);
      EXPECT_EQ(st_enc, SevStatus::Success);
    }
  }
}

TEST(SevPolicy, DbgEncryptWritesWithTheGuestKey) {
  Rig r;
  r.init();
  const uint32_t h = r.guest_in(GuestState::Running, 8, 0);
  const Bytes data = pattern_page(6);
  r.host_write(kScratch, ByteSpan(data).first(256));
  Bytes b = Rig::dbg_buf(h, kScratch | kC, kGuestMem, 256);
  ASSERT_EQ(r.cmd(SevCmd::DbgEncrypt, b), SevStatus::Success);
  EXPECT_EQ(r.guest_read(kGuestMem, 256, 8), Bytes(data.begin(), data.begin() + 256));
  EXPECT_NE(r.host_read(kGuestMem, 256, false), Bytes(data.begin(), data.begin() + 256));
}

TEST(SevPolicy, NoksForbidsKeySharing) {
  Rig r;
  r.init();
  SevStatus st;
  const uint32_t noks = r.launch_start(kNoks);
  r.launch_start(kNoks, noks, &st);
  EXPECT_EQ(st, SevStatus::PolicyFailure);
  const uint32_t shareable = r.launch_start(0);
  r.launch_start(kNodbg, shareable, &st);  // policies must match
  EXPECT_EQ(st, SevStatus::PolicyFailure);
  r.launch_start(0, 999, &st);
  EXPECT_EQ(st, SevStatus::InvalidGuest);
  // Control: sharing is allowed without NOKS, and the two guests then share the VEK.
  const uint32_t sharer = r.launch_start(0, shareable, &st);
  ASSERT_EQ(st, SevStatus::Success);
  ASSERT_EQ(r.activate(shareable, 10), SevStatus::Success);
  ASSERT_EQ(r.activate(sharer, 11), SevStatus::Success);
  const Bytes page = pattern_page(8);
  r.host_write(kGuestMem, page);
  ASSERT_EQ(r.update_data(shareable, kGuestMem | kC, kPageSize), SevStatus::Success);
  EXPECT_EQ(r.guest_read(kGuestMem, kPageSize, 11), page);
  EXPECT_NE(r.host_read(kGuestMem, kPageSize, false), page);
}

TEST(SevAsid, RangesFollowCpuid) {
  Rig r;
  r.init();
  const uint32_t sev = r.launch_start(0), es = r.launch_start(kEs);
  EXPECT_EQ(r.activate(sev, 0), SevStatus::InvalidAsid);
  EXPECT_EQ(r.activate(sev, 16), SevStatus::InvalidAsid);               // beyond CPUID ECX
  EXPECT_EQ(r.activate(sev, kMinSevAsid - 1), SevStatus::InvalidAsid);  // an ES ASID
  EXPECT_EQ(r.activate(es, kMinSevAsid), SevStatus::InvalidAsid);       // a SEV ASID
  EXPECT_EQ(r.activate(sev, kMinSevAsid), SevStatus::Success);
  EXPECT_EQ(r.activate(es, kMinSevAsid - 1), SevStatus::Success);
  EXPECT_EQ(r.activate(sev, kMinSevAsid + 1), SevStatus::Active);  // already bound
  const uint32_t other = r.launch_start(0);
  EXPECT_EQ(r.activate(other, kMinSevAsid), SevStatus::AsidOwned);
  EXPECT_EQ(r.activate(999, kMinSevAsid), SevStatus::InvalidGuest);
}

TEST(SevAsid, InactiveGuestCannotLaunchOrDebug) {
  Rig r;
  r.init();
  const uint32_t h = r.launch_start(0);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Inactive);
  EXPECT_EQ(dbg_decrypt(r, h, kGuestMem, kScratch | kC, 16), SevStatus::Inactive);
  EXPECT_EQ(r.handle_cmd(SevCmd::Deactivate, h), SevStatus::Inactive);
  ASSERT_EQ(r.activate(h, 12), SevStatus::Success);
  EXPECT_EQ(r.update_data(h, kGuestMem | kC, kPageSize), SevStatus::Success);
  EXPECT_EQ(r.handle_cmd(SevCmd::Decommission, h), SevStatus::Active);
}

TEST(SevAsid, FirstActivateAfterInitNeedsDfFlush) {
  Rig r;
  Bytes b = Rig::init_buf(0, 0, 0);
  ASSERT_EQ(r.cmd(SevCmd::Init, b), SevStatus::Success);
  const uint32_t h = r.launch_start(0);
  EXPECT_EQ(r.activate(h, 7), SevStatus::DfflushRequired);
  r.wbinvd_all();  // INIT cleared every core's WBINVD_DONE flag
  ASSERT_EQ(r.cmd(SevCmd::DfFlush), SevStatus::Success);
  EXPECT_EQ(r.activate(h, 7), SevStatus::Success);
}

TEST(SevAsid, ReuseAfterRunNeedsWbinvdOnAllCoresThenDfFlush) {
  Rig r;
  r.init();
  const uint32_t a = r.guest_in(GuestState::Running, 7);
  ASSERT_EQ(r.handle_cmd(SevCmd::Deactivate, a), SevStatus::Success);
  ASSERT_EQ(r.handle_cmd(SevCmd::Decommission, a), SevStatus::Success);
  EXPECT_EQ(r.fw.asid_state(Asid(7)), AsidState::Dirty);
  EXPECT_FALSE(r.fw.asid_runnable(Asid(7)));

  const uint32_t b = r.launch_start(0);
  EXPECT_EQ(r.activate(b, 7), SevStatus::DfflushRequired);
  EXPECT_EQ(r.cmd(SevCmd::DfFlush), SevStatus::WbinvdRequired);  // no WBINVD since DEACTIVATE
  r.core0.wbinvd();
  r.core1.wbnoinvd();  // does not count: lines stay in the cache
  r.core1.invd();      // neither does INVD
  EXPECT_EQ(r.cmd(SevCmd::DfFlush), SevStatus::WbinvdRequired);
  r.core1.wbinvd();
  ASSERT_EQ(r.cmd(SevCmd::DfFlush), SevStatus::Success);
  EXPECT_EQ(r.fw.asid_state(Asid(7)), AsidState::Clean);
  EXPECT_EQ(r.activate(b, 7), SevStatus::Success);
  // Another ASID that was never used needs nothing.
  const uint32_t c = r.launch_start(0);
  EXPECT_EQ(r.activate(c, 8), SevStatus::Success);
}

TEST(SevAsid, AsidThatNeverRanIsCleanAfterDeactivate) {
  Rig r;
  r.init();
  const uint32_t a = r.guest_in(GuestState::Lsecret, 7);  // activated, never ran
  ASSERT_EQ(r.handle_cmd(SevCmd::Deactivate, a), SevStatus::Success);
  EXPECT_EQ(r.fw.asid_state(Asid(7)), AsidState::Clean);
  const uint32_t b = r.launch_start(0);
  EXPECT_EQ(r.activate(b, 7), SevStatus::Success);
}

TEST(SevAsid, ActivatingARunningGuestMakesItRunnableAtOnce) {
  Rig r;
  r.init();
  const uint32_t a = r.guest_in(GuestState::Running, 7);
  ASSERT_EQ(r.handle_cmd(SevCmd::Deactivate, a), SevStatus::Success);
  EXPECT_FALSE(r.fw.asid_runnable(Asid(7)));
  EXPECT_EQ(r.activate(a, 7), SevStatus::DfflushRequired);
  r.wbinvd_all();
  ASSERT_EQ(r.cmd(SevCmd::DfFlush), SevStatus::Success);
  ASSERT_EQ(r.activate(a, 8), SevStatus::Success);  // a running guest may move ASID
  EXPECT_TRUE(r.fw.asid_runnable(Asid(8)));
  EXPECT_EQ(r.fw.asid_state(Asid(8)), AsidState::InUse);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
