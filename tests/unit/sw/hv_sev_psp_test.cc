// The host's PSP driver: Linux's command-buffer layouts, the buffer page under the host key,
// -EIO with the firmware status, platform INIT / INIT_EX with the SEV-ES TMR.
#include <gtest/gtest.h>

#include <cerrno>

#include "hv_sev_rig.h"
#include "sw/host/smp.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv::test {
namespace {

namespace sev = hw::psp::sev;
using host::SevCmd;

TEST(HvSev, CommandBuffersSerializeAsTheSpecLaysThemOut) {
  host::sev_data_launch_start s{};
  s.handle = 0x11223344;
  s.policy = 0x5;
  s.dh_cert_address = 0x8000'0000'1000ull;
  s.dh_cert_len = 0x824;
  s.session_address = 0x2000;
  s.session_len = 0x80;
  const Bytes b = host::sev_data_bytes(s);
  ASSERT_EQ(b.size(), 36u);
  EXPECT_EQ(load_le<uint32_t>(&b[0]), 0x11223344u);
  EXPECT_EQ(load_le<uint32_t>(&b[4]), 5u);
  EXPECT_EQ(load_le<uint64_t>(&b[8]), 0x8000'0000'1000ull);
  EXPECT_EQ(load_le<uint32_t>(&b[16]), 0x824u);
  EXPECT_EQ(load_le<uint64_t>(&b[24]), 0x2000u);
  EXPECT_EQ(load_le<uint32_t>(&b[32]), 0x80u);
  const auto back = host::sev_data_from<host::sev_data_launch_start>(b);
  EXPECT_EQ(back.session_len, 0x80u);
  // Linux's sev_cmd_buffer_len, matched against the firmware's own table by running each.
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::Init), 20);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::InitEx), 0x24);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::LaunchSecret), 52);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::GuestStatus), 13);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::DfFlush), 0);
  // SNP: SNP_INIT takes no buffer (as DF_FLUSH), the others Linux's struct sizes; a command the
  // driver does not issue has none.
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::SnpInit), 0);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::SnpLaunchUpdate), 0x20);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::SnpLaunchFinish), 0x40);
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::SnpGuestRequest), 24);  // KVM's guest requests
  EXPECT_EQ(host::sev_cmd_buffer_len(SevCmd::SnpPageMove), -1);
}

TEST(HvSev, SevDoCmdCopiesBackAndReportsFirmwareErrors) {
  HostRig r;
  int error = -1;
  Bytes wrong(7, 0);
  EXPECT_EQ(r.dev.sev_do_cmd(SevCmd::Activate, wrong, &error), -EINVAL);
  EXPECT_EQ(error, -1);             // never reached the firmware
  EXPECT_EQ(r.dev.commands(), 1u);  // only the probe's PLATFORM_STATUS
  // ACTIVATE before INIT: INVALID_PLATFORM_STATE.
  host::sev_data_activate a{1, 300};
  EXPECT_EQ(r.dev.sev_guest_activate(&a, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidPlatformState));
  ASSERT_EQ(r.dev.sev_platform_init(&error), 0);
  EXPECT_EQ(error, 0);
  // GET_ID with a short length: the firmware writes the length it needs back, and the driver
  // copies the buffer back on failure too.
  host::sev_data_get_id id{0, 8};
  EXPECT_EQ(r.dev.sev_do_cmd(SevCmd::GetId, &id, &error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidLen));
  EXPECT_EQ(id.len, 64u);
}

TEST(HvSev, CommandBufferGoesThroughTheHostKeyUnderSme) {
  for (bool sme : {true, false}) {
    HostRig r("milan", {}, 11, sme);
    EXPECT_EQ(r.k.sme_me_mask() != 0, sme);
    int error = 0;
    ASSERT_EQ(r.dev.sev_platform_init(&error), 0) << sme;
    // A recognizable buffer: ACTIVATE of handle 0x7e57ab1e (refused, but it went through).
    host::sev_data_activate a{0x7e57ab1e, 0x0bad0bad};
    EXPECT_EQ(r.dev.sev_guest_activate(&a, &error), -EIO);
    EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidPlatformState));  // no guests yet
    EXPECT_EQ((r.dev.__psp_pa(r.k.__va(SysPhysAddr(0x5000))) & r.m.cbit_mask()) != 0, sme);
    host::wbinvd_on_all_cpus(r.m);
    // The buffer page's cells: plaintext only without SME.
    const Bytes needle = host::sev_data_bytes(a);
    size_t hits = 0;
    r.m.dram().for_each_touched([&](Pfn, const uint8_t* page) {
      hits += count_occurrences(ByteSpan(page, kPageSize), needle);
    });
    EXPECT_EQ(hits > 0, !sme) << "sme=" << sme;
  }
}

TEST(HvSev, PlatformInitReservesTheTmrAndFlushes) {
  for (bool init_ex : {false, true}) {
    HostRig r("milan", {}, 11, true, host::SevDevConfig{init_ex});
    ASSERT_TRUE(r.dev.sev_es_tmr());
    EXPECT_EQ(r.dev.sev_es_tmr()->value % host::SEV_ES_TMR_SIZE, 0u);
    EXPECT_EQ(r.dev.state(), host::SEV_STATE_UNINIT);
    int error = 0;
    ASSERT_EQ(r.dev.sev_platform_init(&error), 0) << error;
    EXPECT_EQ(r.dev.state(), host::SEV_STATE_INIT);
    host::sev_user_data_status s{};
    ASSERT_EQ(r.dev.sev_platform_status(&s, &error), 0);
    EXPECT_EQ(s.state, host::SEV_STATE_INIT);
    EXPECT_TRUE(s.flags & sev::kStatusFlagConfigEs);  // INIT carried SEV_INIT_FLAGS_SEV_ES
    // After INIT's WBINVD + DF_FLUSH every ASID is clean.
    EXPECT_EQ(r.fw().asid_state(Asid(1)), sev::AsidState::Clean);
    EXPECT_EQ(r.fw().asid_state(Asid(300)), sev::AsidState::Clean);
    ASSERT_EQ(r.dev.sev_platform_init(&error), 0);  // already initialized: nothing to do
    // The TMR is the firmware's: a command pointing into it is refused.
    host::sev_data_launch_start st{};
    ASSERT_EQ(r.dev.sev_do_cmd(SevCmd::LaunchStart, &st, &error), 0);
    host::sev_data_activate act{st.handle, 300};
    ASSERT_EQ(r.dev.sev_guest_activate(&act, &error), 0);
    host::sev_data_launch_update_data u{st.handle, 0, r.dev.sev_es_tmr()->value, 4096};
    EXPECT_EQ(r.dev.sev_do_cmd(SevCmd::LaunchUpdateData, &u, &error), -EIO);
    EXPECT_EQ(error, static_cast<int>(sev::SevStatus::InvalidAddress));
    ASSERT_EQ(r.dev.sev_platform_shutdown(&error), 0);
    EXPECT_EQ(r.dev.state(), host::SEV_STATE_UNINIT);
  }
}

TEST(HvSev, WbinvdOnAllCpusLetsDfFlushThrough) {
  HostRig r;
  int error = 0;
  ASSERT_EQ(r.dev.sev_platform_init(&error), 0);
  // A guest that ran: DEACTIVATE dirties its ASID and clears every core's WBINVD_DONE flag.
  VmMemory mem(r.k);
  mem.add_slot("ram", GuestPhysAddr(0), 16 * 1024);
  {
    KvmSevVm vm(r.kvm, mem);
    ASSERT_EQ(vm.sev_guest_init(false, &error), 0);
    ASSERT_EQ(vm.sev_launch_start(0, std::nullopt, &error), 0);
    uint32_t len = 48;
    Bytes m;
    ASSERT_EQ(vm.sev_launch_measure(&m, &len, &error), 0);
    ASSERT_EQ(vm.sev_launch_finish(&error), 0);
  }
  EXPECT_EQ(r.dev.sev_guest_df_flush(&error), -EIO);
  EXPECT_EQ(error, static_cast<int>(sev::SevStatus::WbinvdRequired));
  ASSERT_GE(r.m.cores(), 2u);
  r.m.cpu(r.m.cores() - 1).wbinvd();
  EXPECT_EQ(r.dev.sev_guest_df_flush(&error), -EIO);
  host::wbinvd_on_all_cpus(r.m);
  EXPECT_EQ(r.dev.sev_guest_df_flush(&error), 0);
}

}  // namespace
}  // namespace cbit::sw::hv::test
