// Your own program in a guest (docs/guest-programs.md): a freestanding program built with
// cbit_guest.h and a static musl program run in an SEV-ES guest under cbit's guest kernel and
// print what they should; every system call's bad-pointer and bad-value case gets Linux's
// -errno (syscall_probe.c), and a call the kernel does not serve is -ENOSYS with a dmesg line
// naming it. The musl tests are skipped only when musl-gcc is absent (install-deps.sh installs
// it).
#include <gtest/gtest.h>

#include <string>

#include "unit/x86/guest_program_rig.h"
#include "x86/elf_symbols.h"

namespace cbit::x86 {
namespace {

using sw::hv::SevMode;
using testing::probe_lines;
using testing::run_in_guest;

bool have_musl() { return std::string(CBIT_MUSL_GCC).size() > 0; }

bool has_line(const std::vector<std::string>& lines, const std::string& s) {
  for (const auto& l : lines)
    if (l.find(s) != std::string::npos) return true;
  return false;
}

TEST(GuestSyscalls, FreestandingProbeGetsLinuxErrnoForEveryBadArgument) {
  const auto r = run_in_guest("syscall_probe");
  ASSERT_TRUE(r.ok()) << *r.failure;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto m = probe_lines(r.output);
  constexpr long kEfault = -14, kEinval = -22, kEnomem = -12, kEnosys = -38;
  for (const char* name : {"write_bad",          "write_kernel",
                           "read_bad",           "open_bad",
                           "openat_bad",         "stat_bad_path",
                           "stat_bad_buf",       "fstat_bad",
                           "newfstatat_bad",     "writev_bad_array",
                           "writev_bad_buffer",  "readv_bad_array",
                           "clock_gettime_bad",  "gettimeofday_bad",
                           "time_bad",           "nanosleep_bad",
                           "uname_bad",          "arch_prctl_get_fs_bad",
                           "rt_sigaction_bad",   "rt_sigaction_bad_old",
                           "rt_sigprocmask_bad", "mkdir_bad"}) {
    ASSERT_TRUE(m.count(name)) << name << " missing in\n" << r.output;
    EXPECT_EQ(m.at(name), kEfault) << name;
  }
  EXPECT_EQ(m.at("ioctl_tty"), -25);  // -ENOTTY: musl's stdout probe (TIOCGWINSZ)
  for (const char* name :
       {"mmap_zero_len", "mmap_no_type", "mmap_fixed_unaligned", "munmap_unaligned",
        "writev_negative", "clock_bad_id", "nanosleep_bad_nsec", "arch_prctl_bad_code",
        "rt_sigaction_size", "rt_sigaction_kill"})
    EXPECT_EQ(m.at(name), kEinval) << name;
  EXPECT_GT(m.at("mmap_bad_prot"), 0);  // unknown PROT bits are ignored, as Linux does
  EXPECT_EQ(m.at("mmap_huge"), kEnomem);
  EXPECT_EQ(m.at("mprotect_unmapped"), kEnomem);
  EXPECT_EQ(m.at("arch_prctl_kernel_fs"), -1);  // -EPERM
  EXPECT_EQ(m.at("lseek_tty"), -29);            // -ESPIPE
  EXPECT_EQ(m.at("close_unopened"), -9);        // -EBADF
  EXPECT_EQ(m.at("open_self_rw"), -30);         // -EROFS: the disk's file is read-only
  // Unsupported calls: -ENOSYS, and one line each naming the call and the program.
  EXPECT_EQ(m.at("clone"), kEnosys);
  EXPECT_EQ(m.at("syscall_999"), kEnosys);
  EXPECT_TRUE(has_line(r.dmesg,
                       "guest kernel: unsupported system call 56 (clone) from "
                       "syscall_probe.elf"));
  EXPECT_TRUE(
      has_line(r.dmesg, "guest kernel: unsupported system call 999 from syscall_probe.elf"));
  EXPECT_EQ(r.unsupported_syscalls.size(), 2u);
  // The good calls work: memory, heap, clock (1 s of simulated sleep), the disk's file.
  EXPECT_EQ(m.at("mmap_rw"), 1);
  EXPECT_EQ(m.at("brk_grow"), 1);
  EXPECT_EQ(m.at("mprotect_ro"), 0);
  EXPECT_EQ(m.at("slept_s"), 1);
  EXPECT_GE(m.at("open_self"), 3);
  EXPECT_EQ(m.at("read_self"), 1);
  EXPECT_EQ(m.at("lseek_end"), 1);
  EXPECT_EQ(m.at("getpid"), 1);
}

TEST(GuestSyscalls, StaticMuslProgramRunsInSevEsGuest) {
  if (!have_musl()) GTEST_SKIP() << "musl-gcc is not installed (scripts/install-deps.sh)";
  const auto r = run_in_guest("hello_musl.musl word");
  ASSERT_TRUE(r.ok()) << *r.failure << "\n" << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // TLS through arch_prctl(ARCH_SET_FS), malloc through brk and mmap, stdio through writev.
  EXPECT_NE(r.output.find("hello from musl, argc=2 argv[1]=word\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tls=42\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("heap ok big[12345]=0x5a\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("slept>=5ms yes\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("year 2026\n"), std::string::npos) << r.output;  // the fixed epoch
  EXPECT_NE(r.output.find("file ./hello_musl.musl.elf size="), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("magic=ELF\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("uname Linux x86_64\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pid 1\n"), std::string::npos) << r.output;
  EXPECT_TRUE(r.unsupported_syscalls.empty())
      << "musl made a call the kernel does not serve: " << r.unsupported_syscalls.front();
}

TEST(GuestSyscalls, PasswordProgramsAnswerBothWays) {
  std::vector<std::string> progs = {"password_memcmp", "password_ct"};
  if (have_musl()) {
    progs.push_back("password_memcmp.musl");
    progs.push_back("password_ct.musl");
  }
  for (const auto& p : progs) {
    const auto good = run_in_guest(p + " hunter42");
    ASSERT_TRUE(good.ok()) << p << ": " << *good.failure;
    EXPECT_EQ(good.exit_code, 0) << p;
    EXPECT_EQ(good.output, "access granted\n") << p;
    // Control: a prefix of the password, and one more byte, are refused.
    for (const char* bad : {"hunter4", "hunter421", "xunter42"}) {
      const auto r = run_in_guest(p + " " + bad);
      ASSERT_TRUE(r.ok()) << p << ": " << *r.failure;
      EXPECT_EQ(r.exit_code, 1) << p << " " << bad;
      EXPECT_EQ(r.output, "access denied\n") << p << " " << bad;
    }
  }
}

TEST(GuestSyscalls, ElfSymbolFindsTheBuffersAndRejectsJunk) {
  const auto p = sw::hv::guest_program("password_memcmp");
  const auto typed = elf_symbol(p.elf, "typed"), stored = elf_symbol(p.elf, "stored");
  ASSERT_TRUE(typed && stored);
  EXPECT_EQ(*typed % 4096, 0u);
  EXPECT_EQ(*stored % 4096, 0u);
  EXPECT_NE(*typed, *stored);
  EXPECT_FALSE(elf_symbol(p.elf, "no_such_symbol"));
  // Truncated and garbled files: no symbol, no crash.
  for (size_t n : {size_t{0}, size_t{16}, size_t{64}, p.elf.size() / 2, p.elf.size() - 1}) {
    Bytes cut(p.elf.begin(), p.elf.begin() + static_cast<ptrdiff_t>(n));
    (void)elf_symbol(cut, "typed");
  }
  Bytes junk = p.elf;
  for (size_t i = 0x28; i < 0x40; ++i) junk[i] = 0xff;
  EXPECT_FALSE(elf_symbol(junk, "typed"));
}

}  // namespace
}  // namespace cbit::x86
