// SNP platform commands: SNP_INIT / SNP_INIT_EX (preconditions and the initial RMP),
// SNP_SHUTDOWN_EX, SNP_PLATFORM_STATUS, SNP_DF_FLUSH, SNP_CONFIG, SNP_COMMIT.
#include <gtest/gtest.h>

#include "psp/report/tcb_version.h"
#include "snp_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

using rmp::PageState;

Bytes init_ex_buf(uint32_t flags, uint64_t list = 0) {
  Bytes b(kSnpInitExLen, 0);
  store_le(b.data(), flags);
  store_le(b.data() + 8, list);
  return b;
}

TEST(SnpInit, BuildsTheInitialRmpAsAspfwDoes) {
  SnpRig r;
  r.make_private(kGuest, 0, 5);  // stale entries from before the boot are rebuilt
  r.init();
  EXPECT_EQ(r.fw().snp_platform_state(), SnpPlatformState::Init);
  EXPECT_EQ(r.state(kGuest), PageState::Hypervisor);  // DRAM -> Hypervisor
  EXPECT_EQ(r.state(0), PageState::Hypervisor);
  EXPECT_EQ(r.state(kRmpBase), PageState::Firmware);  // the RMP protects itself
  EXPECT_EQ(r.state(kRmpEnd & kPageMask), PageState::Firmware);
  EXPECT_EQ(r.state(kSnpDram), PageState::HvFixed);  // covered but not DRAM
  EXPECT_EQ(r.rmp().asid_count(5), 0u);
  const Bytes st = r.platform_status();
  EXPECT_EQ(st[2], 1);      // INIT
  EXPECT_EQ(st[3] & 1, 1);  // is_rmp_init
  EXPECT_EQ(st[3] & 2, 0);  // ALIAS_CHECK_COMPLETE: the model's firmware has no alias check
  EXPECT_EQ(load_le<uint32_t>(st.data() + 0x0C), 0u);
}

TEST(SnpInit, RangeListPagesBecomeHvFixed) {
  SnpRig r;
  Bytes list(8 + 16, 0);
  store_le<uint32_t>(list.data(), 1);
  store_le<uint64_t>(list.data() + 8, kGuest);
  store_le<uint32_t>(list.data() + 16, 2);
  r.host_write(0x12000, list);
  ASSERT_EQ(
      r.cmd(SevCmd::SnpInitEx, init_ex_buf(kSnpInitRmp | kSnpInitListPaddrEn, 0x12000 | r.c())),
      SevStatus::Success);
  EXPECT_EQ(r.state(kGuest), PageState::HvFixed);
  EXPECT_EQ(r.state(kGuest + 0x1000), PageState::HvFixed);
  EXPECT_EQ(r.state(kGuest + 0x2000), PageState::Hypervisor);  // control: past the range
}

TEST(SnpInit, CoresMustAgreeOnSyscfg) {
  SnpRig r;
  Cpu& c1 = r.m.cpu(1);
  c1.reset();  // core 1 never set SNP_EN
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::InvalidConfig);
  r.enable_snp_on(1, /*vmpl=*/false);  // SNP_EN but no VMPL_EN
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::InvalidConfig);
  c1.reset();
  r.enable_snp_on(1);  // control: every core alike
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::Success);
}

TEST(SnpInit, RmpBoundsMustMatchOnEveryCore) {
  SnpRig r;
  Cpu& c1 = r.m.cpu(1);
  c1.reset();
  c1.wrmsr(msr::kRmpBase, kRmpBase - (1ull << 20));
  c1.wrmsr(msr::kRmpEnd, kRmpEnd);
  c1.wrmsr(msr::kSyscfg, c1.rdmsr(msr::kSyscfg) | syscfg::kMfdm);
  c1.wrmsr(msr::kSyscfg, c1.rdmsr(msr::kSyscfg) | syscfg::kSnpEn | syscfg::kSnpVmplEn);
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::InvalidConfig);
}

TEST(SnpInit, NoSnpHardwareIsInvalidConfig) {
  MachineConfig cfg = SnpRig::config(1);
  Machine m(cfg);  // SNP_EN never set
  EXPECT_EQ(m.sev_firmware().execute(SevCmd::SnpInit, SysPhysAddr(0), false),
            SevStatus::InvalidConfig);
}

TEST(SnpInit, MustPrecedeSevInit) {
  SnpRig r;
  Bytes init(20, 0);
  ASSERT_EQ(r.cmd(SevCmd::Init, init), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::InvalidPlatformState);
}

TEST(SnpInit, TwiceIsInvalidPlatformState) {
  SnpRig r;
  r.init();
  EXPECT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::InvalidPlatformState);
}

TEST(SnpInitEx, FlagsAndReservedFields) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(0)), SevStatus::RmpInitRequired);
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(1u << 7)), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(kSnpInitRmp | kSnpInitCiphertextHidingEn)),
            SevStatus::InvalidParam);  // milan has no ciphertext hiding
  Bytes rsvd = init_ex_buf(kSnpInitRmp);
  rsvd[40] = 1;
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, rsvd), SevStatus::InvalidParam);
  ASSERT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(kSnpInitRmp)), SevStatus::Success);
  // Shut down, then come back without rebuilding the RMP.
  for (unsigned c = 0; c < r.m.cores(); ++c) r.m.core_cache_control(c).wbinvd();
  ASSERT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::Success);
  ASSERT_EQ(r.cmd(SevCmd::SnpShutdown), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(kSnpInitListPaddrEn)), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpInitEx, init_ex_buf(0)), SevStatus::Success);
}

TEST(SnpInit, AllAsidsDirtyUntilDfFlush) {
  SnpRig r;
  ASSERT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::Success);
  EXPECT_EQ(r.fw().asid_state(Asid(kSnpAsid)), AsidState::Dirty);
  EXPECT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::WbinvdRequired);  // WBINVD_DONE cleared
  for (unsigned c = 0; c < r.m.cores(); ++c) r.m.core_cache_control(c).wbinvd();
  EXPECT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::Success);
  EXPECT_EQ(r.fw().asid_state(Asid(kSnpAsid)), AsidState::Clean);
}

TEST(SnpDfFlush, RefusedBeforeAnyInit) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::InvalidPlatformState);
}

TEST(SnpShutdown, OrderAndStatuses) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdown), SevStatus::Success);  // UNINIT: nothing to do
  ASSERT_EQ(r.cmd(SevCmd::SnpInit), SevStatus::Success);
  Bytes ex(kSnpShutdownExLen, 0);
  store_le<uint32_t>(ex.data(), kSnpShutdownExLen);
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdownEx, ex), SevStatus::DfflushRequired);
  for (unsigned c = 0; c < r.m.cores(); ++c) r.m.core_cache_control(c).wbinvd();
  ASSERT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::Success);
  Bytes init(20, 0);
  ASSERT_EQ(r.cmd(SevCmd::Init, init), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdownEx, ex), SevStatus::InvalidPlatformState);  // SEV first
  ASSERT_EQ(r.cmd(SevCmd::Shutdown), SevStatus::Success);
  for (unsigned c = 0; c < r.m.cores(); ++c) r.m.core_cache_control(c).wbinvd();
  ASSERT_EQ(r.cmd(SevCmd::SnpDfFlush), SevStatus::Success);
  Bytes bad_len = ex;
  store_le<uint32_t>(bad_len.data(), 4);
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdownEx, bad_len), SevStatus::InvalidParam);
  Bytes x86 = ex;
  store_le<uint32_t>(x86.data() + 4, 3);
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdownEx, x86), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpShutdownEx, ex), SevStatus::Success);
  EXPECT_EQ(r.fw().snp_platform_state(), SnpPlatformState::Uninit);
  EXPECT_TRUE(r.fw().rmp_initialized());
}

TEST(SnpPlatformStatus, PageChecks) {
  SnpRig r;
  EXPECT_EQ(r.cmd(SevCmd::SnpPlatformStatus, SnpRig::addr_buf((kStatus + 0xFF0) | r.c())),
            SevStatus::InvalidParam);  // would cross the page
  const Bytes before = r.platform_status();
  EXPECT_EQ(before[2], 0);
  EXPECT_EQ(before[3], 0);
  r.init();
  r.make_private(kGuest, 0, kSnpAsid);
  EXPECT_EQ(r.cmd(SevCmd::SnpPlatformStatus, SnpRig::addr_buf(kGuest | r.c())),
            SevStatus::InvalidPageState);  // never into a guest's page
  r.make_firmware(kFwPage);
  EXPECT_EQ(r.cmd(SevCmd::SnpPlatformStatus, SnpRig::addr_buf(kFwPage)), SevStatus::Success);
}

TEST(SnpPlatformStatus, ReportsTcbs) {
  SnpRig r;
  r.init();
  const Bytes st = r.platform_status();
  const auto cur = ::cbit::psp::TcbVersion::decode(load_le<uint64_t>(st.data() + 0x10),
                                                   ::cbit::psp::TcbLayout::MilanGenoa);
  const auto rep = ::cbit::psp::TcbVersion::decode(load_le<uint64_t>(st.data() + 0x18),
                                                   ::cbit::psp::TcbLayout::MilanGenoa);
  EXPECT_EQ(cur, SnpTcbConfig{}.tcb);
  EXPECT_EQ(rep, cur);  // reported defaults to committed, committed to current
}

Bytes config_buf(uint64_t tcb, uint32_t flags = 0) {
  Bytes b(kSnpConfigLen, 0);
  store_le(b.data(), tcb);
  store_le(b.data() + 8, flags);
  return b;
}

TEST(SnpConfig, ReportedTcbMayNotExceedCommitted) {
  SnpRig r;
  r.init();
  ::cbit::psp::TcbVersion t = SnpTcbConfig{}.tcb;
  const auto lay = ::cbit::psp::TcbLayout::MilanGenoa;
  ++t.snp;
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(t.encode(lay))), SevStatus::InvalidParam);
  t.snp -= 2;  // control: older is allowed
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(t.encode(lay), 1)), SevStatus::Success);
  const Bytes st = r.platform_status();
  EXPECT_EQ(load_le<uint64_t>(st.data() + 0x18), t.encode(lay));
  EXPECT_EQ(load_le<uint32_t>(st.data() + 8) & 1, 1u);  // MASK_CHIP_ID
  Bytes rsvd = config_buf(0);
  rsvd[20] = 1;
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, rsvd), SevStatus::InvalidParam);
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(0)), SevStatus::Success);  // 0: committed
  EXPECT_EQ(load_le<uint64_t>(r.platform_status().data() + 0x18), SnpTcbConfig{}.tcb.encode(lay));
}

TEST(SnpCommit, CommitsTheRunningTcb) {
  SnpRig r;
  SnpTcbConfig tcb;
  tcb.committed_tcb = tcb.tcb;
  tcb.committed_tcb->snp -= 1;  // an update ran but was not committed yet
  r.fw().attach_snp({&r.m.rmp(), nullptr, &r.m.cpu_model()}, tcb);
  const auto lay = ::cbit::psp::TcbLayout::MilanGenoa;
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(tcb.tcb.encode(lay))), SevStatus::InvalidParam);
  Bytes bad(kSnpCommitLen, 0);
  EXPECT_EQ(r.cmd(SevCmd::SnpCommit, bad), SevStatus::InvalidParam);
  Bytes ok(kSnpCommitLen, 0);
  store_le<uint32_t>(ok.data(), kSnpCommitLen);
  EXPECT_EQ(r.cmd(SevCmd::SnpCommit, ok), SevStatus::Success);
  EXPECT_EQ(r.cmd(SevCmd::SnpConfig, config_buf(tcb.tcb.encode(lay))), SevStatus::Success);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
