// The SME page actions (scenario/actions/sme.cc) on a real machine: under SME only the pages
// the host shares (set_memory_decrypted) are plaintext in DRAM; with mem_encrypt=off, the
// control, every page is, and the cold-boot image holds the VM secret.
#include <gtest/gtest.h>

#include <set>

#include "attacks/cold_boot.h"
#include "scenario/actions/page_set.h"
#include "unit/input_error.h"
#include "unit/scenario/sme_rig.h"

namespace cbit::scenario {
namespace {

using testutil::SmeRig;

// seed 000's partial encryption: 8 VM pages, 8 shared pages.
void alloc_vm_and_shared(SmeRig& r) {
  r.step("alloc-pages", {{"id", "vm"}, {"count", 8}, {"text", "VM-SECRET #{i} customer record; "}});
  r.step("alloc-pages", {{"id", "shared"},
                         {"host", "h"},
                         {"count", 8},
                         {"set_memory_decrypted", true},
                         {"text", "public data #{i}, fine to leak; "}});
}

size_t cold_boot(SmeRig& r, const std::string& needle) {
  r.machine->cache().wbinvd();
  return attacks::cold_boot(r.machine->raw_view(), {needle}).count(needle);
}

TEST(SmeActions, OnlyTheSharedPagesArePlaintextInDram) {
  SmeRig r("mem_encrypt=on");
  alloc_vm_and_shared(r);
  r.flush();
  const auto d = r.step("dump-pages", {{"pages", {"vm", "shared"}}});
  EXPECT_EQ(d["pages"], 16);
  EXPECT_EQ(d["by_step"]["vm"]["plaintext"], 0);
  EXPECT_EQ(d["by_step"]["vm"]["high_entropy"], 8);
  EXPECT_EQ(d["by_step"]["shared"]["plaintext"], 8);
  EXPECT_EQ(d["plaintext"], 8);
  EXPECT_EQ(cold_boot(r, "VM-SECRET"), 0u);
  EXPECT_GT(cold_boot(r, "public data #3"), 0u);
  EXPECT_TRUE(r.said("PLAINTEXT")) << "the transcript's page table";
  EXPECT_TRUE(r.said("\"public data #7, fine to \"")) << "the {i} in the text";
  // The owner reads every page as written, whichever mapping it has.
  EXPECT_EQ(r.step("read-pages", {{"pages", {"vm", "shared"}}})["as_written"], 16);
}

TEST(SmeActions, ControlWithoutEncryptionEveryPageIsPlaintext) {
  SmeRig r("mem_encrypt=off");
  alloc_vm_and_shared(r);
  r.flush();
  const auto d = r.step("dump-pages", {{"pages", {"vm", "shared"}}});
  EXPECT_EQ(d["plaintext"], 16);
  EXPECT_EQ(d["by_step"]["vm"]["plaintext"], 8);
  EXPECT_GT(cold_boot(r, "VM-SECRET #5"), 0u);
}

TEST(SmeActions, SetMemoryDecryptedChangesTheMappingNotTheBytes) {
  SmeRig r("mem_encrypt=on");
  r.step("alloc-pages", {{"id", "p"}, {"count", 2}, {"text", "owner data; "}});
  EXPECT_EQ(r.step("set-memory-decrypted", {{"pages", {"p"}}})["ret"], 0);
  // Without the C-bit the owner reads the ciphertext DRAM holds, not its data.
  const auto raw = r.step("read-pages", {{"pages", {"p"}}});
  EXPECT_EQ(raw["as_written"], 0);
  r.flush();
  EXPECT_EQ(r.step("dump-pages", {{"pages", {"p"}}})["high_entropy"], 2);
  EXPECT_EQ(r.step("set-memory-encrypted", {{"pages", {"p"}}})["ret"], 0);
  EXPECT_EQ(r.step("read-pages", {{"pages", {"p"}}})["as_written"], 2);
  // Control: with SME off the C-bit mask is 0 and the same calls change nothing.
  SmeRig off("mem_encrypt=off");
  off.step("alloc-pages", {{"id", "p"}, {"count", 2}, {"text", "owner data; "}});
  off.step("set-memory-decrypted", {{"pages", {"p"}}});
  EXPECT_EQ(off.step("read-pages", {{"pages", {"p"}}})["as_written"], 2);
}

TEST(SmeActions, OneTextWrittenOnceLeavesTheRestOfThePageZero) {
  SmeRig r("mem_encrypt=off");
  r.step("alloc-pages", {{"id", "s"}, {"text", "a secret"}, {"repeat", false}});
  EXPECT_EQ(cold_boot(r, "a secret"), 1u);
}

TEST(SmeActions, WhatIsWrittenNeverLeavesItsPage) {
  // A text of a whole page whose {i} grows past it from page 1000 on (four digits for three
  // bytes): DRAM changes only in the step's own pages.
  SmeRig r("mem_encrypt=off");
  const std::string text = std::string(kPageSize - 3, 'a') + "{i}";
  const auto dram = [&] {
    r.flush();
    Bytes all(64ull << 20);
    r.machine->raw_view().read(SysPhysAddr(0), all);
    return all;
  };
  for (bool repeat : {true, false}) {
    const std::string id = repeat ? "r" : "once";
    const Bytes before = dram();
    r.step("alloc-pages", {{"id", id}, {"count", 1001}, {"text", text}, {"repeat", repeat}});
    const Bytes after = dram();
    std::set<uint64_t> own;
    for (const auto va : r.run.latest<PageSet>()->pages) own.insert(r.host->__pa(va).pfn());
    size_t others_changed = 0;
    for (uint64_t pfn = 0; pfn < before.size() / kPageSize; ++pfn)
      if (!own.count(pfn) &&
          !std::equal(before.begin() + pfn * kPageSize, before.begin() + (pfn + 1) * kPageSize,
                      after.begin() + pfn * kPageSize))
        ++others_changed;
    EXPECT_EQ(others_changed, 0u) << id;
    EXPECT_EQ(r.step("read-pages", {{"pages", {id}}})["as_written"], 1001) << id;
  }
}

TEST(SmeActions, BadInputNamesTheKey) {
  using cbit::testutil::error_of;
  SmeRig r("mem_encrypt=on");
  EXPECT_NE(error_of([&] {
              r.step("dump-pages", {{"pages", {"nope"}}});
            }).find("key 'pages'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("alloc-pages", {{"count", 0}, {"text", "x"}});
            }).find("key 'count'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("alloc-pages", {{"text", ""}});
            }).find("key 'text'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("alloc-pages", {{"host", "m"}, {"text", "x"}});
            }).find("is not a host"),
            std::string::npos);
  r.step("alloc-pages", {{"id", "p"}, {"text", "x"}});
  EXPECT_NE(error_of([&] {
              r.step("alloc-pages", {{"id", "p"}, {"text", "x"}});
            }).find("already used"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              r.step("dump-pages", {{"pages", {"p"}}, {"peek", 65}});
            }).find("key 'peek'"),
            std::string::npos);
  // Control: the same steps with good keys are accepted.
  EXPECT_EQ(error_of([&] { r.step("dump-pages", {{"pages", {"p"}}, {"peek", 64}}); }), "");
  scenario::Run empty(RunOptions{});
  EXPECT_NE(error_of([&] {
              find_action("alloc-pages")->run(JsonArgs(nlohmann::json{{"text", "x"}}), empty);
            }).find("no host yet"),
            std::string::npos);
}

}  // namespace
}  // namespace cbit::scenario
