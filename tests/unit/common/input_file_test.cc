// common/file.h's readers: every input is checked before it is read, so none can hang cbit or
// take unbounded memory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "common/error.h"
#include "common/file.h"
#include "file_test_util.h"
#include "tools/measure/mapped_file.h"
#include "unit/input_error.h"

namespace cbit {
namespace {

using filetest::put;
using filetest::ScratchDir;

using testutil::error_of;

TEST(InputFile, AHugeSparseFileIsRefusedByItsSizeWithoutBeingRead) {
  ScratchDir d;
  const std::string big = d / "OVMF.fd";
  put(big, "");
  ASSERT_EQ(::truncate(big.c_str(), int64_t(64) << 30), 0);  // 64 GiB, no blocks
  const auto t0 = std::chrono::steady_clock::now();
  const std::string err = error_of([&] { read_file(big, inputs::kFirmware); });
  const std::string err_map = error_of([&] { tools::measure::map_file(big, inputs::kFirmware); });
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_NE(err.find("68719476736 bytes, more than a firmware image can be (64 MiB)"),
            std::string::npos)
      << err;
  EXPECT_EQ(err_map, err);
  EXPECT_LT(took, std::chrono::seconds(2));
  // Control: the same file within the kind's bound is read.
  ASSERT_EQ(::truncate(big.c_str(), 4096), 0);
  EXPECT_EQ(read_file(big, inputs::kFirmware).size(), 4096u);
  EXPECT_EQ(tools::measure::map_file(big, inputs::kFirmware).data.size(), 4096u);
}

TEST(InputFile, AFifoWithoutAWriterDoesNotBlock) {
  ScratchDir d;
  const std::string fifo = d / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto r = std::async(std::launch::async, [&] { return read_file(fifo, inputs::kFirmware); });
  if (r.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    // Blocked in open(2) or read(2): release it so the test can end, and fail.
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    ::close(fd);
    ADD_FAILURE() << "reading a FIFO without a writer blocked";
  }
  EXPECT_TRUE(r.get().empty());
}

TEST(InputFile, APipeIsReadUpToTheKindsBoundAndRefusedBeyond) {
  // What `--page-map <(...)` gives: /proc/self/fd/N of a pipe.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const InputKind small{"a small thing", 1 << 20};
  std::thread writer([fd = p[1]] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the reader leaving gives EPIPE here
    const Bytes chunk(1 << 16, 'y');
    for (int i = 0; i < 1024; ++i)  // 64 MiB, far beyond the bound
      if (::write(fd, chunk.data(), chunk.size()) < 0) break;
    ::close(fd);
    timespec zero{};
    ::sigtimedwait(&set, nullptr, &zero);  // consume a pending SIGPIPE
  });
  const std::string err =
      error_of([&] { read_file("/proc/self/fd/" + std::to_string(p[0]), small); });
  ::close(p[0]);
  writer.join();
  EXPECT_NE(err.find("more than a small thing can be (1 MiB)"), std::string::npos) << err;
  // Control: a pipe within the bound is read whole.
  ASSERT_EQ(::pipe(p), 0);
  std::thread w2([fd = p[1]] {
    const Bytes data(300000, 'z');
    (void)!::write(fd, data.data(), data.size());
    ::close(fd);
  });
  const Bytes got = read_file("/proc/self/fd/" + std::to_string(p[0]), small);
  w2.join();
  ::close(p[0]);
  EXPECT_EQ(got, Bytes(300000, 'z'));
}

TEST(InputFile, DevicesAndDirectoriesAreRefusedBeforeAnyRead) {
  ScratchDir d;
  const std::string zero = error_of([&] { read_file("/dev/zero", inputs::kKernel); });
  EXPECT_NE(zero.find("/dev/zero: a character device, not a kernel"), std::string::npos) << zero;
  const std::string null =
      error_of([&] { tools::measure::map_file("/dev/null", inputs::kFirmware); });
  EXPECT_NE(null.find("character device"), std::string::npos) << null;
  EXPECT_NE(error_of([&] { read_file(d.path, inputs::kReport); }).find("is a directory"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_file(d / "absent", inputs::kReport); }).find("cannot open"),
            std::string::npos);
}

TEST(InputFile, TheBoundHoldsForAFileThatGrowsWhileRead) {
  // /proc files report size 0: the bound applies to what is read, not only to st_size.
  const std::string err = error_of([&] {
    read_file("/proc/self/maps", InputKind{"a tiny thing", 16});
  });
  EXPECT_NE(err.find("more than a tiny thing can be (16 bytes)"), std::string::npos) << err;
  EXPECT_FALSE(read_file("/proc/self/maps", inputs::kSnapshot).empty());  // control
}

}  // namespace
}  // namespace cbit
