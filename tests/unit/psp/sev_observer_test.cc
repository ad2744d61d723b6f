// PspCommandObserver: the firmware tells an observer (tests, bench/bench_snp_report.cc) when a
// mailbox command begins and when it ends, with its id, buffer address and status, for every
// command, accepted or refused; nothing else about the command leaves the firmware.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sev_rig.h"

namespace cbit::hw::psp::sev::test {
namespace {

struct Recorder : PspCommandObserver {
  std::vector<std::string> events;
  void on_psp_command_begin(uint32_t cmd, uint64_t) override {
    events.push_back("begin " + std::to_string(cmd));
  }
  void on_psp_command(uint32_t cmd, uint64_t, SevStatus st) override {
    events.push_back("end " + std::to_string(cmd) + " " + std::to_string(static_cast<int>(st)));
  }
};

// An observer that only implements the end hook still compiles and is told of the end.
struct EndOnly : PspCommandObserver {
  int ends = 0;
  void on_psp_command(uint32_t, uint64_t, SevStatus) override { ++ends; }
};

TEST(PspCommandObserver, BeginPrecedesEndForAcceptedAndRefusedCommands) {
  Rig r;
  Recorder rec;
  EndOnly end_only;
  r.fw.add_observer(&rec);
  r.fw.add_observer(&end_only);
  Bytes ps(12, 0);
  ASSERT_EQ(r.cmd(SevCmd::PlatformStatus, ps), SevStatus::Success);
  // Refused (no INIT yet): still a begin and an end, with the refusal's status.
  Bytes h = Rig::handle_buf(1);
  const SevStatus refused = r.cmd(SevCmd::Decommission, h);
  ASSERT_NE(refused, SevStatus::Success);
  const auto ps_id = std::to_string(static_cast<uint32_t>(SevCmd::PlatformStatus));
  const auto dc_id = std::to_string(static_cast<uint32_t>(SevCmd::Decommission));
  const std::vector<std::string> want = {
      "begin " + ps_id, "end " + ps_id + " 0", "begin " + dc_id,
      "end " + dc_id + " " + std::to_string(static_cast<int>(refused))};
  EXPECT_EQ(rec.events, want);
  EXPECT_EQ(end_only.ends, 2);
}

}  // namespace
}  // namespace cbit::hw::psp::sev::test
