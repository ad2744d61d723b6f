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

// Linux x86-64 system call numbers used here (arch/x86/entry/syscalls/syscall_64.tbl).
namespace nr {
inline constexpr uint64_t kRead = 0;
inline constexpr uint64_t kWrite = 1;
inline constexpr uint64_t kOpen = 2;
inline constexpr uint64_t kClose = 3;
inline constexpr uint64_t kIoctl = 16;
inline constexpr uint64_t kMkdir = 83;
inline constexpr uint64_t kRmdir = 84;
inline constexpr uint64_t kOpenat = 257;
inline constexpr uint64_t kMkdirat = 258;
inline constexpr uint64_t kPause = 34;
inline constexpr uint64_t kExit = 60;
inline constexpr uint64_t kExitGroup = 231;
}  // namespace nr
// errno values (include/uapi/asm-generic/errno-base.h, errno.h), returned negated.
namespace err {
inline constexpr int64_t kEintr = 4;
inline constexpr int64_t kEbadf = 9;
inline constexpr int64_t kEfault = 14;
inline constexpr int64_t kEinval = 22;
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

 protected:
  void request_exit(int code) { stop_ = Stop{Stop::Kind::Exit, code}; }
  void request_pause() { stop_ = Stop{Stop::Kind::Pause, 0}; }

 private:
  std::optional<Stop> stop_;
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
