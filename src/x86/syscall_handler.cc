#include "x86/syscall_handler.h"

#include "hw/cpu/fault.h"

namespace cbit::x86 {

uint64_t DefaultSyscallHandler::syscall(hw::GprFile& regs, GuestMemory& mem) {
  const auto neg = [](int64_t e) { return static_cast<uint64_t>(-e); };
  switch (regs.rax) {
    case nr::kWrite: {
      const uint64_t fd = regs.rdi;
      if (fd != 1 && fd != 2) return neg(err::kEbadf);
      const uint64_t n = regs.rdx < kMaxWrite ? regs.rdx : kMaxWrite;
      std::string buf(n, '\0');
      try {
        mem.read(VirtAddr(regs.rsi), MutByteSpan(reinterpret_cast<uint8_t*>(buf.data()), n));
      } catch (const hw::CpuException&) {
        // The kernel's copy_from_user faults are -EFAULT for the caller, not a signal.
        return neg(err::kEfault);
      }
      (fd == 1 ? out_ : err_) += buf;
      return n;
    }
    case nr::kExit:
    case nr::kExitGroup:
      request_exit(static_cast<int>(regs.rdi & 0xff));  // the status a parent sees (& 0xff)
      return 0;
    case nr::kPause:
      request_pause();
      return neg(err::kEintr);
    default:
      return neg(err::kEnosys);
  }
}

}  // namespace cbit::x86
