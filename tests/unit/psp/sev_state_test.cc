// The SEV firmware's platform and guest state machines, command by command (AMD-ASPFW
// sev_guest.h: the commands allowed in each guest state; sev_plat.c: the platform table).
#include <gtest/gtest.h>

#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

constexpr uint32_t kEsPolicy = 1u << 2;  // ES guests may take every launch command
constexpr uint32_t kEsAsid = 1;

// One well-formed buffer per guest command, for the guest `h`.
SevStatus run_guest_cmd(Rig& r, SevCmd c, uint32_t h) {
  switch (c) {
    case SevCmd::LaunchUpdateData:
      return r.update_data(h, kGuestMem | kC, 4096);
    case SevCmd::LaunchUpdateVmsa: {
      Bytes b = Rig::update_buf(h, (kGuestMem + 0x1000) | kC, 4096);
      return r.cmd(c, b);
    }
    case SevCmd::LaunchMeasure:
      return r.measure(h, nullptr);
    case SevCmd::LaunchSecret: {
      Bytes b = Rig::secret_buf(h, kScratch | kC, kGuestMem + 0x2000, 16, (kScratch + 64) | kC, 16);
      return r.cmd(c, b);
    }
    case SevCmd::Activate:
      return r.activate(h, kEsAsid);
    case SevCmd::GuestStatus: {
      Bytes b(13, 0);
      store_le(b.data(), h);
      return r.cmd(c, b);
    }
    case SevCmd::DbgDecrypt: {
      Bytes b = Rig::dbg_buf(h, kGuestMem, (kScratch + 0x3000) | kC, 16);
      return r.cmd(c, b);
    }
    default:
      return r.handle_cmd(c, h);
  }
}

constexpr SevCmd kGuestCmds[] = {
    SevCmd::LaunchUpdateData, SevCmd::LaunchUpdateVmsa, SevCmd::LaunchMeasure,
    SevCmd::LaunchSecret,     SevCmd::LaunchFinish,     SevCmd::Activate,
    SevCmd::Deactivate,       SevCmd::Decommission,     SevCmd::GuestStatus};

// The parameter is a type of this file, printed by its name (ctest names carry it:
// test_names_test.cc). A PrintTo for GuestState itself would be seen by this file only, and
// other files printing a GuestState would instantiate gtest's printer differently (an ODR
// clash the debug build resolved against it).
struct StateParam {
  GuestState state;
};
void PrintTo(const StateParam& p, std::ostream* os) { *os << name(p.state); }

class GuestStateTable : public ::testing::TestWithParam<StateParam> {};

TEST_P(GuestStateTable, EveryCommandAllowedOrInvalidGuestState) {
  const GuestState s = GetParam().state;
  for (SevCmd c : kGuestCmds) {
    Rig r;
    r.init();
    const uint32_t h = r.guest_in(s, kEsAsid, kEsPolicy);
    ASSERT_EQ(r.guest_state(h), s);
    const SevStatus st = run_guest_cmd(r, c, h);
    if (command_allowed_in(c, s))
      EXPECT_NE(st, SevStatus::InvalidGuestState) << name(c) << " in " << name(s);
    else
      EXPECT_EQ(st, SevStatus::InvalidGuestState) << name(c) << " in " << name(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Sev, GuestStateTable,
                         ::testing::Values(StateParam{GuestState::Lupdate},
                                           StateParam{GuestState::Lsecret},
                                           StateParam{GuestState::Running}),
                         [](const auto& info) { return std::string(name(info.param.state)); });

TEST(SevGuestState, UninitGuestIsAnInvalidHandle) {
  Rig r;
  r.init();
  ASSERT_NE(r.launch_start(0), 0u);  // another guest keeps the platform WORKING
  const uint32_t h = r.guest_in(GuestState::Lupdate, kEsAsid, kEsPolicy);
  ASSERT_EQ(r.handle_cmd(SevCmd::Deactivate, h), SevStatus::Success);
  ASSERT_EQ(r.handle_cmd(SevCmd::Decommission, h), SevStatus::Success);
  EXPECT_EQ(r.guest_state(h), GuestState::Uninit);  // GUEST_STATUS answers, state UNINIT
  for (SevCmd c : kGuestCmds) {
    if (c == SevCmd::GuestStatus) continue;
    EXPECT_EQ(run_guest_cmd(r, c, h), SevStatus::InvalidGuest) << name(c);
  }
  // Control: LAUNCH_START is the way out of UNINIT.
  EXPECT_NE(r.launch_start(kEsPolicy), 0u);
}

TEST(SevGuestState, LaunchFlowTransitions) {
  Rig r;
  r.init();
  const uint32_t h = r.launch_start(0);
  EXPECT_EQ(r.guest_state(h), GuestState::Lupdate);
  ASSERT_EQ(r.activate(h, 7), SevStatus::Success);
  ASSERT_EQ(r.measure(h, nullptr), SevStatus::Success);
  EXPECT_EQ(r.guest_state(h), GuestState::Lsecret);
  EXPECT_FALSE(r.fw.asid_runnable(Asid(7)));  // pending until LAUNCH_FINISH
  ASSERT_EQ(r.handle_cmd(SevCmd::LaunchFinish, h), SevStatus::Success);
  EXPECT_EQ(r.guest_state(h), GuestState::Running);
  EXPECT_TRUE(r.fw.asid_runnable(Asid(7)));
  for (uint32_t state = 0; state <= 6; ++state)
    for (uint32_t cmd = 0; cmd <= 0xff; ++cmd) {
      const auto s = static_cast<GuestState>(state);
      const auto c = static_cast<SevCmd>(cmd);
      if (next_state(s, c)) {
        EXPECT_TRUE(command_allowed_in(c, s)) << name(c);
      }
    }
}

TEST(SevPlatformState, TransitionsAndStatus) {
  Rig r;
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Uninit);
  EXPECT_EQ(r.launch_start(0), 0u);
  SevStatus st;
  r.launch_start(0, 0, &st);
  EXPECT_EQ(st, SevStatus::InvalidPlatformState);
  r.init(true);
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Init);
  Bytes again = Rig::init_buf(0, 0, 0);
  EXPECT_EQ(r.cmd(SevCmd::Init, again), SevStatus::InvalidPlatformState);
  const uint32_t h = r.launch_start(0);
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Working);

  Bytes ps(12, 0xee);
  ASSERT_EQ(r.cmd(SevCmd::PlatformStatus, ps), SevStatus::Success);
  EXPECT_EQ(ps[0], 1);
  EXPECT_EQ(ps[1], 55);
  EXPECT_EQ(ps[2], static_cast<uint8_t>(PlatformState::Working));
  EXPECT_EQ(load_le<uint32_t>(ps.data() + 3), kStatusFlagConfigEs);
  EXPECT_EQ(ps[7], 21);
  EXPECT_EQ(load_le<uint32_t>(ps.data() + 8), 1u);

  ASSERT_EQ(r.handle_cmd(SevCmd::Decommission, h), SevStatus::Success);
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Init);  // last guest gone
  ASSERT_EQ(r.cmd(SevCmd::Shutdown), SevStatus::Success);
  EXPECT_EQ(r.fw.platform_state(), PlatformState::Uninit);
  ASSERT_EQ(r.cmd(SevCmd::PlatformStatus, ps), SevStatus::Success);
  EXPECT_EQ(ps[2], 0);
  EXPECT_EQ(load_le<uint32_t>(ps.data() + 3), 0u);
}

TEST(SevPlatformState, GuestCommandsNeedWorking) {
  Rig r;
  r.init();
  for (SevCmd c : kGuestCmds) {
    if (c == SevCmd::GuestStatus) continue;  // allowed in INIT
    EXPECT_EQ(run_guest_cmd(r, c, 1), SevStatus::InvalidPlatformState) << name(c);
  }
}

TEST(SevPlatformState, ResetRebootsTheFirmware) {
  Rig r;
  r.init();
  r.guest_in(GuestState::Running);
  EXPECT_TRUE(r.fw.asid_runnable(Asid(kMinSevAsid)));
  r.sp.reset();
  Bytes ps(12, 0);
  ASSERT_EQ(r.cmd(SevCmd::PlatformStatus, ps), SevStatus::Success);
  EXPECT_EQ(ps[2], static_cast<uint8_t>(PlatformState::Uninit));
  EXPECT_FALSE(r.fw.asid_runnable(Asid(kMinSevAsid)));
  EXPECT_EQ(r.handle_cmd(SevCmd::LaunchFinish, 1), SevStatus::InvalidPlatformState);
}

TEST(SevMailbox, UnknownAndUnimplementedCommands) {
  Rig r;
  r.init();
  for (uint32_t id : {0x00u, 0x0Bu, 0x36u, 0x40u, 0x95u, 0xCEu, 0xFFu, 0x12345u}) {
    EXPECT_EQ(r.fw.execute(id, kCmdBuf | kC), SevStatus::InvalidCommand) << id;
  }
  EXPECT_EQ(r.fw.execute(static_cast<uint32_t>(SevCmd::PlatformStatus), kCmdBuf | kC),
            SevStatus::Success);  // control
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
