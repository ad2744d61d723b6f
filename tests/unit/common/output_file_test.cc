// common/output_file.h: what is at an output path decides how cbit writes it, and nothing at the
// target is ever destroyed or half-written. Every property beside its control.
#include "common/output_file.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "common/error.h"
#include "common/file.h"
#include "file_test_util.h"
#include "unit/input_error.h"

namespace cbit {
namespace {

using filetest::get;
using filetest::put;
using filetest::ScratchDir;

bool has_temp(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (n.find(".cbit-tmp.") != std::string::npos) return true;
  return false;
}

using testutil::error_of;

TEST(OutputFile, ReplacesARegularFileAtomicallyKeepingItsMode) {
  ScratchDir d;
  const std::string target = d / "out.bin";
  put(target, "old contents");
  ASSERT_EQ(::chmod(target.c_str(), 0640), 0);
  struct stat before {};
  ASSERT_EQ(::stat(target.c_str(), &before), 0);
  {
    OutputFile f(target);
    EXPECT_TRUE(f.replaces());
    f.write(as_bytes("new "));
    // Half-way: the target is still whole and old; the new bytes are in a temporary beside it.
    EXPECT_EQ(get(target), "old contents");
    EXPECT_TRUE(has_temp(d.entries()));
    EXPECT_EQ(std::filesystem::path(f.temp_path()).parent_path(), d.path);
    f.write(as_bytes("contents"));
    f.commit();
  }
  EXPECT_EQ(get(target), "new contents");
  struct stat after {};
  ASSERT_EQ(::stat(target.c_str(), &after), 0);
  EXPECT_NE(after.st_ino, before.st_ino);  // a new file renamed in, not the old one rewritten
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_EQ(d.entries(), std::vector<std::string>{"out.bin"});
}

TEST(OutputFile, ANewFileGetsTheModeOpenWouldGiveIt) {
  ScratchDir d;
  write_output_file(d / "a", as_bytes("x"));
  write_output_file(d / "key.pem", as_bytes("secret"), 0600);
  const mode_t mask = ::umask(022);
  ::umask(mask);
  struct stat st {};
  ASSERT_EQ(::stat((d / "a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666u & ~mask);
  ASSERT_EQ(::stat((d / "key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u & ~mask);
}

TEST(OutputFile, DevNullIsWrittenThroughAndStaysTheDevice) {
  struct stat before {};
  ASSERT_EQ(::stat("/dev/null", &before), 0);
  ASSERT_TRUE(S_ISCHR(before.st_mode));
  OutputFile f("/dev/null");
  EXPECT_FALSE(f.replaces());
  f.write(Bytes(100000, 0x89));
  f.write_at(200000, as_bytes("PNG"));  // a stream: the gap is zero-filled, not sought over
  f.commit();
  struct stat after {};
  ASSERT_EQ(::stat("/dev/null", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(after.st_rdev, makedev(1, 3));
  EXPECT_EQ(after.st_ino, before.st_ino);
  for (const auto& e : std::filesystem::directory_iterator("/dev"))
    EXPECT_EQ(e.path().filename().string().find("null.cbit-tmp"), std::string::npos) << e.path();
}

TEST(OutputFile, AFifoIsWrittenThroughToItsReader) {
  ScratchDir d;
  const std::string fifo = d / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto reader = std::async(std::launch::async, [&] { return get(fifo); });
  Bytes data(3 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  {
    OutputFile f(fifo);
    EXPECT_FALSE(f.replaces());
    f.write(ByteSpan(data).first(1000));
    f.write_at(4000, ByteSpan(data).subspan(4000));  // bytes 1000..3999 come as zeros
    f.commit();
  }
  const std::string got = reader.get();
  ASSERT_EQ(got.size(), data.size());
  std::fill(data.begin() + 1000, data.begin() + 4000, 0);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), reinterpret_cast<const uint8_t*>(got.data())));
  struct stat st {};
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(d.entries(), std::vector<std::string>{"pipe"});
}

TEST(OutputFile, ASymlinkAtTheTargetIsRefusedNotFollowed) {
  ScratchDir d;
  put(d / "victim", "precious");
  ASSERT_EQ(::symlink((d / "victim").c_str(), (d / "out.png").c_str()), 0);
  const std::string err = error_of([&] { write_output_file(d / "out.png", as_bytes("PNG")); });
  EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
  EXPECT_EQ(get(d / "victim"), "precious");
  struct stat st {};
  ASSERT_EQ(::lstat((d / "out.png").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // Control: the shell's way (open with O_CREAT|O_TRUNC) does follow the link.
  const int fd = ::open((d / "out.png").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_EQ(get(d / "victim"), "");
}

std::string planted_suffix(unsigned attempt) { return "planted" + std::to_string(attempt); }

TEST(OutputFile, LinksPlantedAtTheTemporaryNamesDoNotRedirectTheWrite) {
  ScratchDir d;
  ScratchDir elsewhere;
  put(elsewhere / "victim", "precious");
  const std::string target = d / "report.bin";
  // The first names the writer will try: links to a file, to a file not yet there (O_CREAT
  // through it would create it), and a FIFO; the writer must pass them all by.
  ASSERT_EQ(::symlink((elsewhere / "victim").c_str(), (target + ".cbit-tmp.planted0").c_str()), 0);
  ASSERT_EQ(::symlink((elsewhere / "new").c_str(), (target + ".cbit-tmp.planted1").c_str()), 0);
  ASSERT_EQ(::mkfifo((target + ".cbit-tmp.planted2").c_str(), 0600), 0);
  set_temp_suffix_source_for_tests(planted_suffix);
  std::string used;
  {
    OutputFile f(target);
    used = f.temp_path();
    f.write(as_bytes("the report"));
    f.commit();
  }
  set_temp_suffix_source_for_tests(nullptr);
  EXPECT_EQ(used, target + ".cbit-tmp.planted3");
  EXPECT_EQ(get(target), "the report");
  EXPECT_EQ(get(elsewhere / "victim"), "precious");
  EXPECT_FALSE(std::filesystem::exists(elsewhere / "new"));
  // What cbit did not make, it leaves alone.
  EXPECT_EQ(d.entries(), (std::vector<std::string>{"report.bin", "report.bin.cbit-tmp.planted0",
                                                   "report.bin.cbit-tmp.planted1",
                                                   "report.bin.cbit-tmp.planted2"}));
  // Control: a writer that opens its temporary without O_EXCL writes through the planted link.
  const int fd =
      ::open((target + ".cbit-tmp.planted0").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "x", 1), 1);
  ::close(fd);
  EXPECT_EQ(get(elsewhere / "victim"), "x");
}

TEST(OutputFile, AWriterThatFailsLeavesTheOldFileAndNoTemporary) {
  ScratchDir d;
  const std::string target = d / "out.json";
  put(target, "old");
  try {
    OutputFile f(target);
    f.write(as_bytes("half of the new"));
    throw std::runtime_error("the producer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(get(target), "old");
  EXPECT_EQ(d.entries(), std::vector<std::string>{"out.json"});
  // Control: the temporary really existed while the writer ran.
  OutputFile f(target);
  f.write(as_bytes("x"));
  EXPECT_TRUE(has_temp(d.entries()));
}

// Runs `body` in a child process; returns its wait status.
int in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(OutputFile, AFailedWriteRemovesTheTemporary) {
  // EFBIG from RLIMIT_FSIZE: a real write(2) failure half-way, in a child so the limit stays there.
  ScratchDir d;
  const std::string target = d / "image.raw";
  put(target, "old");
  const int status = in_child([&] {
    ::signal(SIGXFSZ, SIG_IGN);  // the error, not the signal
    struct rlimit rl {
      64 << 10, 64 << 10
    };
    if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) return 10;
    try {
      OutputFile f(target);
      f.write(Bytes(1 << 20, 1));
      f.commit();
      return 11;  // the write should have failed
    } catch (const InputError& e) {
      return std::string(e.what()).find("File too large") != std::string::npos ? 0 : 12;
    }
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(get(target), "old");
  EXPECT_EQ(d.entries(), std::vector<std::string>{"image.raw"});
}

TEST(OutputFile, ADirectoryNotWritableFailsWithoutLeavingAnything) {
  // Root may write anywhere: the child drops to an unprivileged user first when it is root.
  ScratchDir d;
  ASSERT_EQ(::chmod(d.path.c_str(), 0555), 0);
  const int status = in_child([&] {
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      if (!nobody || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0) return 10;
    }
    const std::string err = error_of([&] { write_output_file(d / "out.png", as_bytes("x")); });
    return err.find("Permission denied") != std::string::npos ? 0 : 11;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(d.entries().empty());
}

TEST(OutputFile, SigtermDuringAWriteRemovesTheTemporary) {
  ScratchDir d;
  const std::string target = d / "core";
  put(target, "old");
  const int status = in_child([&] {
    OutputFile f(target);
    f.write(Bytes(1 << 20, 7));
    ::raise(SIGTERM);
    return 0;  // not reached
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);  // the signal still ends the process
  EXPECT_EQ(get(target), "old");
  EXPECT_EQ(d.entries(), std::vector<std::string>{"core"});
  // Control: a temporary the registry does not know of outlives the signal.
  const int control = in_child([&] {
    const int fd = ::open((d / "core.cbit-tmp.unregistered").c_str(), O_CREAT | O_WRONLY, 0600);
    ::close(fd);
    ::raise(SIGTERM);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(control));
  EXPECT_TRUE(has_temp(d.entries()));
}

TEST(OutputFile, SigintRemovesARegisteredDirectoryAndAnIgnoredSignalStaysIgnored) {
  ScratchDir d;
  const std::string work = d / "work";
  const int status = in_child([&] {
    ::mkdir(work.c_str(), 0700);
    CleanupRegistration reg(work, CleanupKind::Directory);
    put(work + "/nvdimm-off-abc.img", "cells");
    put(work + "/guest-sev.core", "core");
    ::raise(SIGINT);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_TRUE(d.entries().empty());
  // nohup-style: an ignored SIGHUP is not taken over; the process lives on.
  const int ignored = in_child([&] {
    ::signal(SIGHUP, SIG_IGN);
    ::mkdir(work.c_str(), 0700);
    CleanupRegistration reg(work, CleanupKind::Directory);
    ::raise(SIGHUP);
    return std::filesystem::exists(work) ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(ignored));
  EXPECT_EQ(WEXITSTATUS(ignored), 0);
}

TEST(OutputFile, AFileAnotherUserLeftInASharedStickyDirectoryIsRefused) {
  // The attacker's move in /tmp: a FIFO or a readable file at the name root will write. Planting
  // a file for another user takes root.
  if (::geteuid() != 0) GTEST_SKIP() << "planting a file owned by another user needs root";
  const passwd* nobody = ::getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody'";
  ScratchDir d;
  ASSERT_EQ(::chmod(d.path.c_str(), 01777), 0);
  put(d / "guest.core", "theirs");
  ASSERT_EQ(::mkfifo((d / "out.fifo").c_str(), 0666), 0);
  for (const char* name : {"guest.core", "out.fifo"})
    ASSERT_EQ(::chown((d / name).c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  // In a child with an alarm: were the FIFO not refused, opening it would wait for a reader.
  const int status = in_child([&] {
    ::alarm(10);
    const std::string a = error_of([&] { write_output_file(d / "guest.core", as_bytes("mem")); });
    const std::string b = error_of([&] { write_output_file(d / "out.fifo", as_bytes("mem")); });
    const bool refused = a.find("belongs to another user") != std::string::npos &&
                         b.find("belongs to another user") != std::string::npos;
    return refused ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(get(d / "guest.core"), "theirs");
  // Controls: the same file owned by this user is replaced; outside a sticky directory, too.
  ASSERT_EQ(::chown((d / "guest.core").c_str(), ::geteuid(), ::getegid()), 0);
  write_output_file(d / "guest.core", as_bytes("mem"));
  EXPECT_EQ(get(d / "guest.core"), "mem");
  ASSERT_EQ(::chown((d / "guest.core").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ASSERT_EQ(::chmod(d.path.c_str(), 0755), 0);
  write_output_file(d / "guest.core", as_bytes("mem2"));
  EXPECT_EQ(get(d / "guest.core"), "mem2");
}

TEST(OutputFile, TwoOutputsOrAnOutputAndAnInputNamingOneFileAreRefused) {
  ScratchDir d;
  put(d / "report.bin", "r");
  ASSERT_EQ(::link((d / "report.bin").c_str(), (d / "hard").c_str()), 0);
  const std::string dot = d.path + "/./sub/../report.bin";
  std::filesystem::create_directory(d / "sub");
  auto refused = [](const std::vector<FileArg>& a) {
    return !error_of([&] { refuse_same_file(a); }).empty();
  };
  // Outputs that do not exist yet: by normalized path.
  EXPECT_TRUE(refused({{"--image-out", d / "x", true}, {"--page-map-out", d / "x", true}}));
  EXPECT_TRUE(refused({{"-O", d / "x", true}, {"--image-out", d.path + "/sub/../x", true}}));
  // An output over an input: by device and inode, whatever the spelling.
  EXPECT_TRUE(refused({{"report", d / "report.bin", false}, {"--out", dot, true}}));
  EXPECT_TRUE(refused({{"report", d / "report.bin", false}, {"--out", d / "hard", true}}));
  EXPECT_TRUE(refused({{"-O", "-", true}, {"--image-out", "/dev/stdout", true}}));
  const std::string msg = error_of([&] {
    refuse_same_file({{"--firmware", d / "report.bin", false}, {"--dump", d / "hard", true}});
  });
  EXPECT_NE(msg.find("--dump"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--firmware"), std::string::npos) << msg;
  // Controls: different files, two inputs, empty (not given) paths, /dev/null twice.
  EXPECT_FALSE(refused({{"-O", d / "x", true}, {"--image-out", d / "y", true}}));
  EXPECT_FALSE(refused({{"--kernel", d / "report.bin", false}, {"--initrd", d / "hard", false}}));
  EXPECT_FALSE(refused({{"-O", "", true}, {"--image-out", "", true}}));
  EXPECT_FALSE(refused({{"-O", "/dev/null", true}, {"--image-out", "/dev/null", true}}));
}

TEST(OutputFile, DirectoriesAndBadNamesAreRefused) {
  ScratchDir d;
  EXPECT_NE(error_of([&] { write_output_file(d.path, as_bytes("x")); }).find("is a directory"),
            std::string::npos);
  EXPECT_FALSE(error_of([&] { write_output_file("", as_bytes("x")); }).empty());
  EXPECT_FALSE(error_of([&] { write_output_file(d / "no/such/dir/x", as_bytes("x")); }).empty());
  EXPECT_TRUE(d.entries().empty());
}

TEST(OutputFile, ATemporaryIsSparseAndSizedByExtendTo) {
  ScratchDir d;
  const std::string target = d / "dram.img";
  {
    OutputFile f(target);
    f.write_at(8 << 20, as_bytes("page"));
    f.extend_to(64 << 20);
    f.commit();
  }
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_LT(st.st_blocks * 512, 1 << 20);  // holes, not 64 MiB of zeros
  std::ifstream in(target, std::ios::binary);
  char page[4] = {};
  in.seekg(8 << 20);
  in.read(page, 4);
  EXPECT_EQ(std::string(page, 4), "page");
}

TEST(OutputFile, StdoutAliasesNameTheProcessDescriptor) {
  EXPECT_EQ(output_fd_alias("-"), 1);
  EXPECT_EQ(output_fd_alias("/dev/stdout"), 1);
  EXPECT_EQ(output_fd_alias("/dev/stderr"), 2);
  EXPECT_EQ(output_fd_alias("/dev/fd/7"), 7);
  EXPECT_EQ(output_fd_alias("/proc/self/fd/12"), 12);
  EXPECT_EQ(output_fd_alias("/dev/fd/x"), -1);
  EXPECT_EQ(output_fd_alias("./-"), -1);
  EXPECT_EQ(output_fd_alias("out.png"), -1);
  // A pipe's write end named by /proc/self/fd/N: written through, the descriptor left open.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  write_output_file("/proc/self/fd/" + std::to_string(p[1]), as_bytes("via fd"));
  ASSERT_NE(::fcntl(p[1], F_GETFD), -1);
  ::close(p[1]);
  char buf[16] = {};
  EXPECT_EQ(::read(p[0], buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "via fd");
  ::close(p[0]);
}

}  // namespace
}  // namespace cbit
