// The guest kernel's memory system calls as a program in an SEV-ES guest sees them
// (examples/guest/mm_probe.c; sw/guest/guest_syscalls.h, sw/guest/user_mm.h): munmap unmaps
// and frees, mprotect(PROT_NONE) and PROT_READ take rights away, a file on the guest's disk maps
// privately. Each access that must fault is run beside its control, the same program without
// the munmap or mprotect, which must not.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/x86/guest_program_rig.h"

namespace cbit::x86 {
namespace {

using sw::guest::ProgramRun;
using testing::probe_lines;
using testing::run_in_guest;

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

TEST(GuestMm, MemoryCallsAnswerAsLinux) {
  const auto r = run_in_guest("mm_probe");
  ASSERT_TRUE(r.ok()) << *r.failure << "\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto m = probe_lines(r.output);
  for (const char* one :
       {"second_page_kept", "remap_same_address", "remap_reads_zero", "protnone_keeps_bytes",
        "fixed_replaces_with_zero", "churn_24_mib", "brk_regrow_zero", "open_self", "file_mapped",
        "file_elf_magic", "file_offset_matches_read", "file_tail_zero", "private_write_seen",
        "private_write_not_in_file", "shared_read"}) {
    ASSERT_TRUE(m.count(one)) << one << " missing in\n" << r.output;
    EXPECT_EQ(m.at(one), 1) << one << "\n" << r.output;
  }
  for (const char* zero :
       {"munmap", "munmap_again", "protnone", "protnone_back", "munmap_96_tib", "file_munmap"})
    EXPECT_EQ(m.at(zero), 0) << zero;
  EXPECT_EQ(m.at("mprotect_unmapped"), -12);        // -ENOMEM
  EXPECT_EQ(m.at("mprotect_high_prot_bits"), -22);  // -EINVAL
  EXPECT_EQ(m.at("fixed_noreplace"), -17);          // -EEXIST
  EXPECT_EQ(m.at("shared_write"), -13);             // -EACCES: the file is open read-only
  EXPECT_EQ(m.at("file_bad_fd"), -9);               // -EBADF
  EXPECT_EQ(m.at("file_dir"), -19);                 // -ENODEV: a directory has no mmap
  EXPECT_EQ(m.at("file_unaligned_offset"), -22);    // -EINVAL
  EXPECT_TRUE(r.unsupported_syscalls.empty()) << r.unsupported_syscalls.front();
}

struct Touch {
  const char* name;
  uint64_t offset;  // of the access from "addr"
  unsigned error;   // the #PF error code: P (bit 0), W/R (bit 1), U/S (bit 2)
  long value;       // what the control reads back
};

TEST(GuestMm, EveryRightTakenAwayFaultsAndItsControlDoesNot) {
  for (const Touch t : {Touch{"munmap", 7, 0x4, 42}, Touch{"protnone", 7, 0x4, 42},
                        Touch{"protnone-write", 3, 0x6, 7}, Touch{"readonly", 3, 0x7, 7},
                        Touch{"file-readonly", 3, 0x7, 7}, Touch{"past-eof", 7, 0x4, -1}}) {
    SCOPED_TRACE(t.name);
    const auto bad = run_in_guest(std::string("mm_probe ") + t.name);
    EXPECT_EQ(bad.state, ProgramRun::State::Killed) << bad.output;
    ASSERT_FALSE(bad.ok());
    const auto m = probe_lines(bad.output);
    ASSERT_TRUE(m.count("addr")) << bad.output;
    EXPECT_FALSE(m.count("survived")) << bad.output;
    const auto addr = static_cast<uint64_t>(m.at("addr")) + t.offset;
    // The kernel's line for a user #PF (kernel_exec.cc): the address, the error code, the IP.
    const std::string pf =
        fmt::format("mm_probe.elf[1]: #PF at {:#x}, error code {:#x}", addr, t.error);
    EXPECT_NE(joined(bad.dmesg).find(pf), std::string::npos) << "no '" << pf << "' in\n"
                                                             << joined(bad.dmesg);
    EXPECT_NE(bad.failure->find(fmt::format("#PF at {:#x}", addr)), std::string::npos)
        << *bad.failure;

    const auto ok = run_in_guest(std::string("mm_probe ") + t.name + " control");
    ASSERT_TRUE(ok.ok()) << *ok.failure << "\n" << ok.output;
    EXPECT_EQ(ok.exit_code, 0);
    const auto c = probe_lines(ok.output);
    ASSERT_TRUE(c.count("survived")) << ok.output;
    if (t.value >= 0) {
      EXPECT_EQ(c.at("survived"), t.value);
    }
    EXPECT_EQ(joined(ok.dmesg).find("#PF"), std::string::npos) << joined(ok.dmesg);
  }
}

}  // namespace
}  // namespace cbit::x86
