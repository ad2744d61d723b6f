// What a guest program's `syscall` instruction and SEV's VMGEXIT reach.
//
// The Process (process.h) calls syscall() for each SYSCALL with the registers as the kernel
// would see them on entry (RIP past the instruction, RCX = that RIP and R11 = RFLAGS, as the
// instruction itself sets them: APM Vol. 3 "SYSCALL"), and puts the return value in RAX. A
// handler ends or suspends the program with request_exit()/request_pause(); the Process then
// returns from run() with RunResult::Exited/Paused.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "hw/cpu/regs.h"
#include "x86/guest_memory.h"

namespace cbit::x86 {

// Linux x86-64 system call numbers used here (arch/x86/entry/syscalls/syscall_64.tbl; every
// name: syscall_names.h).
namespace nr {
inline constexpr uint64_t kRead = 0;
inline constexpr uint64_t kWrite = 1;
inline constexpr uint64_t kOpen = 2;
inline constexpr uint64_t kClose = 3;
inline constexpr uint64_t kStat = 4;
inline constexpr uint64_t kFstat = 5;
inline constexpr uint64_t kLstat = 6;
inline constexpr uint64_t kLseek = 8;
inline constexpr uint64_t kMmap = 9;
inline constexpr uint64_t kMprotect = 10;
inline constexpr uint64_t kMunmap = 11;
inline constexpr uint64_t kBrk = 12;
inline constexpr uint64_t kRtSigaction = 13;
inline constexpr uint64_t kRtSigprocmask = 14;
inline constexpr uint64_t kIoctl = 16;
inline constexpr uint64_t kReadv = 19;
inline constexpr uint64_t kWritev = 20;
inline constexpr uint64_t kPause = 34;
inline constexpr uint64_t kNanosleep = 35;
inline constexpr uint64_t kGetpid = 39;
inline constexpr uint64_t kExit = 60;
inline constexpr uint64_t kUname = 63;
inline constexpr uint64_t kMkdir = 83;
inline constexpr uint64_t kRmdir = 84;
inline constexpr uint64_t kGettimeofday = 96;
inline constexpr uint64_t kArchPrctl = 158;
inline constexpr uint64_t kGettid = 186;
inline constexpr uint64_t kTime = 201;
inline constexpr uint64_t kSetTidAddress = 218;
inline constexpr uint64_t kClockGettime = 228;
inline constexpr uint64_t kClockNanosleep = 230;
inline constexpr uint64_t kExitGroup = 231;
inline constexpr uint64_t kOpenat = 257;
inline constexpr uint64_t kMkdirat = 258;
inline constexpr uint64_t kNewfstatat = 262;
}  // namespace nr
// errno values (include/uapi/asm-generic/errno-base.h, errno.h), returned negated.
namespace err {
inline constexpr int64_t kEnoent = 2;
inline constexpr int64_t kEintr = 4;
inline constexpr int64_t kEbadf = 9;
inline constexpr int64_t kEnomem = 12;
inline constexpr int64_t kEfault = 14;
inline constexpr int64_t kEinval = 22;
inline constexpr int64_t kEnotty = 25;
inline constexpr int64_t kEspipe = 29;
inline constexpr int64_t kEnametoolong = 36;
inline constexpr int64_t kEnosys = 38;
}  // namespace err

class SyscallHandler {
 public:
  virtual ~SyscallHandler() = default;
  // Linux x86-64 numbering: rax = nr, args rdi, rsi, rdx, r10, r8, r9. Return the value for rax.
  virtual uint64_t syscall(hw::GprFile& regs, GuestMemory& mem) = 0;
  // VMGEXIT (F3 0F 01 D9, APM Vol. 3; GHCB spec §2.3.1): Unicorn does not know it. Return true
  // when handled (the Process then moves RIP past the 4 bytes and continues); false makes the
  // run end with RunResult::InvalidInstruction. `regs.rip` is the instruction's address.
  virtual bool vmgexit(hw::GprFile& regs) {
    (void)regs;
    return false;
  }

  // How the last call wants the program to stop, if at all (read and cleared by the Process).
  struct Stop {
    enum class Kind { Exit, Pause } kind;
    int code = 0;  // exit status (Exit)
  };
  std::optional<Stop> take_stop() {
    auto s = stop_;
    stop_.reset();
    return s;
  }
  // The FS segment base a call set (arch_prctl(ARCH_SET_FS)), read and cleared by the Process,
  // which loads it into the CPU before the program continues.
  std::optional<uint64_t> take_fs_base() {
    auto v = new_fs_base_;
    new_fs_base_.reset();
    return v;
  }
  // The Process tells the handler, before each call, how many instructions the program has
  // executed so far: the handler's clock (deterministic, no host time).
  void set_instructions(uint64_t n) { instructions_ = n; }

 protected:
  void request_exit(int code) { stop_ = Stop{Stop::Kind::Exit, code}; }
  void request_pause() { stop_ = Stop{Stop::Kind::Pause, 0}; }
  void set_fs_base(uint64_t base) {
    fs_base_ = base;
    new_fs_base_ = base;
  }
  uint64_t fs_base() const { return fs_base_; }
  uint64_t instructions() const { return instructions_; }

 private:
  std::optional<Stop> stop_;
  std::optional<uint64_t> new_fs_base_;
  uint64_t fs_base_ = 0, instructions_ = 0;
};

// The minimal kernel: write(2) to fd 1 and 2 (collected), exit/exit_group, pause; every other
// call returns -ENOSYS. When a paused program is run again, pause() returns -EINTR, as after a
// signal whose handler returned.
class DefaultSyscallHandler : public SyscallHandler {
 public:
  uint64_t syscall(hw::GprFile& regs, GuestMemory& mem) override;

  const std::string& stdout_text() const { return out_; }
  const std::string& stderr_text() const { return err_; }
  // Largest single write(2) copied; longer writes are truncated to this (Linux caps one write
  // at MAX_RW_COUNT; this cap is the executor's, to bound memory).
  static constexpr uint64_t kMaxWrite = 1u << 20;

 private:
  std::string out_, err_;
};

}  // namespace cbit::x86
