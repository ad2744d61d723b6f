// The mailbox fuzzer's reach: every command id the firmware knows (its dispatch table and the
// API's table) must be one that some selector byte of tests/fuzz/fuzz_sev_mailbox.cc produces,
// so a command added later (SNP) is fuzzed or this fails. And the fuzzer's SNP platforms
// (fuzz/sev_mailbox_snp.h) let every SNP command past the platform-state check: without them
// (SEV INIT, no RMP) each stopped at INVALID_PLATFORM_STATE or INVALID_CONFIG.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fuzz/sev_mailbox_ids.h"
#include "fuzz/sev_mailbox_snp.h"
#include "hw/psp/sev/sev_api.h"
#include "hw/psp/sev/sev_firmware.h"
#include "hw/psp/sev/snp_api.h"

namespace cbit::hw::psp::sev {
namespace {

std::set<uint32_t> reachable(const std::array<uint32_t, 256>& map) {
  return std::set<uint32_t>(map.begin(), map.end());
}

std::set<uint32_t> firmware_ids() {
  std::set<uint32_t> ids;
  for (SevCmd c : SevFirmware::dispatched_commands()) ids.insert(static_cast<uint32_t>(c));
  for (SevCmd c : known_commands()) ids.insert(static_cast<uint32_t>(c));
  return ids;
}

TEST(SevMailboxFuzzReach, EveryIdTheFirmwareKnowsIsProduced) {
  std::set<uint32_t> produced;
  for (unsigned b = 0; b < 256; ++b) produced.insert(fuzz::mailbox_id(static_cast<uint8_t>(b)));
  const std::set<uint32_t> known = firmware_ids();
  ASSERT_GE(known.size(), SevFirmware::dispatched_commands().size());
  for (uint32_t id : known) {
    const auto cmd = static_cast<SevCmd>(id);
    EXPECT_TRUE(produced.count(id))
        << "the mailbox fuzzer never sends 0x" << std::hex << id << " " << name(cmd);
  }
  // And ids nobody knows, which must answer INVALID_COMMAND.
  const auto unknown = std::count_if(produced.begin(), produced.end(),
                                     [&](uint32_t id) { return !known.count(id); });
  EXPECT_GE(unknown, 3);
}

TEST(SevMailboxFuzzReach, DispatchedCommandsAreKnownToTheApi) {
  // The dispatcher and the API table name the same commands (so INVALID_COMMAND is only ever
  // the answer to an id outside the dispatch table).
  for (SevCmd c : SevFirmware::dispatched_commands()) {
    EXPECT_TRUE(is_known_command(static_cast<uint32_t>(c))) << static_cast<uint32_t>(c);
    EXPECT_NE(name(c), "UNKNOWN");
  }
}

TEST(SevMailboxFuzzReach, AByteThatIsAnIdSelectsItself) {
  // Corpus files are written with command ids (0x30 is LAUNCH_START).
  for (SevCmd c : known_commands()) {
    const uint32_t id = static_cast<uint32_t>(c);
    if (id < 256) {
      EXPECT_EQ(fuzz::mailbox_id(static_cast<uint8_t>(id)), id);
    }
  }
}

TEST(SevMailboxFuzzReach, TheCheckFailsForATableTooLargeForOneByte) {
  // Control: with more ids than 256 selector bytes can pick, some are out of reach, and the
  // reach computation above notices.
  std::vector<uint32_t> table;
  for (uint32_t id = 0x1000; id < 0x1000 + 300; ++id) table.push_back(id);
  const auto produced = reachable(fuzz::mailbox_selector_map(table));
  EXPECT_LT(produced.size(), table.size());
  // And a table of ids above 0xFF is still reached in full while it fits.
  table.resize(200);
  EXPECT_EQ(reachable(fuzz::mailbox_selector_map(table)).size(), table.size());
}

using fuzz::SnpMailboxPlatform;

std::vector<uint32_t> snp_ids() {
  std::vector<uint32_t> ids;
  for (SevCmd c : SevFirmware::dispatched_commands())
    if (static_cast<uint32_t>(c) >= static_cast<uint32_t>(SevCmd::SnpInit))
      ids.push_back(uint32_t(c));
  return ids;
}

bool stopped_by_platform(SevStatus st) {
  return st == SevStatus::InvalidPlatformState || st == SevStatus::InvalidConfig;
}

// A buffer whose u64 fields point at what the SNP platform holds: a guest context, a firmware
// page, a guest page (C-bit set, as the host's __psp_pa gives).
Bytes pointers(uint64_t c, uint64_t a, uint64_t b, uint64_t d) {
  Bytes buf(64, 0);
  store_le(buf.data(), a | c);
  store_le(buf.data() + 8, b | c);
  store_le(buf.data() + 16, d | c);
  return buf;
}

TEST(SevMailboxFuzzReach, EverySnpCommandGetsPastThePlatformStateCheck) {
  const auto ids = snp_ids();
  ASSERT_GE(ids.size(), 15u);
  for (uint32_t id : ids) {
    std::vector<SevStatus> seen;
    // A fresh platform per attempt: a command may change it (SNP_SHUTDOWN_EX, SNP_INIT).
    for (auto stage : {SnpMailboxPlatform::Stage::RmpReady, SnpMailboxPlatform::Stage::Launched}) {
      {
        SnpMailboxPlatform p(stage);
        seen.push_back(p.send(id, 0, Bytes(64, 0)));
      }
      SnpMailboxPlatform p(stage);
      using P = SnpMailboxPlatform;
      seen.push_back(p.send(id, 0, pointers(p.c(), P::kGctxB, P::kPageB, P::kFwPages)));
    }
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                            [](SevStatus st) { return !stopped_by_platform(st); }))
        << "0x" << std::hex << id << " " << name(static_cast<SevCmd>(id))
        << " never gets past the platform state";
  }
}

TEST(SevMailboxFuzzReach, ControlBeforeSnpInitTheGuestCommandsStop) {
  // The same probe on the platform without SNP_INIT: the guest commands stop at the platform
  // state, which is what the fuzzer's old SEV-only platform gave every SNP command.
  using P = SnpMailboxPlatform;
  for (SevCmd c : {SevCmd::SnpGctxCreate, SevCmd::SnpLaunchUpdate, SevCmd::SnpActivate,
                   SevCmd::SnpDbgDecrypt, SevCmd::SnpPageReclaim, SevCmd::SnpLaunchFinish}) {
    P p(P::Stage::RmpReady);
    Bytes buf(64, 0);  // well-formed but for the platform: a context address, the rest zero
    store_le(buf.data(), P::kGctxB | p.c());
    EXPECT_TRUE(stopped_by_platform(p.send(uint32_t(c), 0, buf))) << name(c);
  }
}

TEST(SevMailboxFuzzReach, TheLaunchedSnpPlatformHasRealGuests) {
  // What the fuzzer's mutations start from works: a Pre-Guest page and the 2 MiB page take
  // LAUNCH_UPDATE, the DEBUG guest's page decrypts into a firmware page, SNP_INIT succeeds on
  // the platform without it.
  using P = SnpMailboxPlatform;
  P p(P::Stage::Launched);
  ASSERT_TRUE(p.ready());
  Bytes upd(kSnpLaunchUpdateLen, 0);
  store_le(upd.data(), P::kGctxA | p.c());
  store_le<uint32_t>(upd.data() + 8, uint32_t(SnpPageType::Zero) << 1);
  store_le(upd.data() + 16, P::kPreA | p.c());
  EXPECT_EQ(p.send(uint32_t(SevCmd::SnpLaunchUpdate), 0, upd), SevStatus::Success);
  store_le<uint32_t>(upd.data() + 8, 1u | uint32_t(SnpPageType::Zero) << 1);
  store_le(upd.data() + 16, P::kBigA | p.c());
  EXPECT_EQ(p.send(uint32_t(SevCmd::SnpLaunchUpdate), 0, upd), SevStatus::Success);
  EXPECT_EQ(p.send(uint32_t(SevCmd::SnpDbgDecrypt), 0,
                   pointers(p.c(), P::kGctxB, P::kPageB, P::kFwPages)),
            SevStatus::Success);
  // Control: guest A has no DEBUG policy.
  EXPECT_EQ(p.send(uint32_t(SevCmd::SnpDbgDecrypt), 0,
                   pointers(p.c(), P::kGctxA, P::kPageA, P::kFwPages + kPageSize)),
            SevStatus::PolicyFailure);
  P ready(P::Stage::RmpReady);
  EXPECT_EQ(ready.send(uint32_t(SevCmd::SnpInit), 0, {}), SevStatus::Success);
}

}  // namespace
}  // namespace cbit::hw::psp::sev
