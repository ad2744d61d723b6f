// The guest kernel's system call table for one user program (Linux arch/x86/entry/
// syscalls/syscall_64.tbl numbers; mm/mmap.c, mm/mprotect.c, fs/read_write.c, fs/stat.c,
// kernel/time/, kernel/signal.c, arch/x86/kernel/process_64.c, kernel/sys.c reduced to one
// single-threaded process). What a static musl program (musl-gcc -static) or a freestanding one
// (examples/guest/include/cbit_guest.h) makes; docs/guest-programs.md has the table.
//
//   memory   brk, mmap (anonymous, private or shared: one process; or the disk's file: a
//            private copy, or shared read-only), munmap (the pages leave the page tables and
//            their frames are freed: a later access is a #PF), mprotect (PROT_NONE: every
//            access faults; PROT_READ: a write faults)
//   files    open, openat, close, read, write, readv, writev, lseek, fstat, stat, lstat,
//            newfstatat, ioctl, mkdir, mkdirat, rmdir (guest_files.h: the disk's file,
//            /dev/sev-guest, configfs-tsm); fds 0-2 are the console (stdin reads EOF;
//            ioctl on them is -ENOTTY, which tells musl's stdout it is not a terminal)
//   time     clock_gettime, gettimeofday, time, nanosleep, clock_nanosleep: a simulated clock,
//            1 ns per instruction the program executed (x86::Process's count: exact in a run's
//            first kExactInstructions, then an estimate) plus the time it slept, from program
//            start (CLOCK_MONOTONIC) or from kRealtimeEpoch (CLOCK_REALTIME); no host time
//   process  exit, exit_group, pause, getpid/gettid (1), set_tid_address, arch_prctl
//            (ARCH_SET_FS/ARCH_GET_FS), uname, rt_sigaction and rt_sigprocmask (checked, then
//            nothing: no signal is ever delivered)
// Any other number is -ENOSYS, with one line in the kernel log naming it:
//   "guest kernel: unsupported system call 56 (clone) from PROG".
//
// Values from the program are hostile: a pointer the CPU will not read or write at CPL 3 is
// -EFAULT, a bad length, flag or alignment -EINVAL (Linux's answer for each call), never a
// crash. Limits: a file mapping is copied at mmap (Linux shares the page cache's pages until
// the first write); a page of it wholly past the end of the file faults as a #PF (Linux sends
// SIGBUS); addresses given without MAP_FIXED are ignored, and unmapped ranges are not reused.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "sw/guest/guest_files.h"
#include "x86/syscall_handler.h"

namespace cbit::sw::guest {

class GuestKernel;

class GuestSyscalls final : public x86::SyscallHandler {
 public:
  // CLOCK_REALTIME at program start: 2026-01-01T00:00:00Z (fixed, so runs repeat exactly).
  static constexpr int64_t kRealtimeEpoch = 1767225600;
  // Where anonymous mmap()s go, upward (below the stack; Linux's mmap_base is near here).
  static constexpr uint64_t kMmapBase = 0x7f00'0000'0000ull;
  static constexpr uint64_t kMaxMap = 1ull << 30;  // one mmap() or the whole heap: 1 GiB
  static constexpr uint64_t kMaxWrite = 1u << 20;  // one read/write (a bound for the model)

  // `comm`: the program's name in log lines; `tty`: the console (fds 1 and 2).
  GuestSyscalls(GuestKernel& k, std::string comm, std::function<void(ByteSpan)> tty);

  // The user pages exec mapped (the ELF segments and the stack): mprotect may change them; the
  // heap (brk) starts at the page after the highest.
  void add_exec_area(uint64_t va, uint64_t size, unsigned prot);
  // The disk's file, readable at /<name>.
  void set_disk_file(const std::string& name, Bytes contents) {
    files_.set_disk_file(name, std::move(contents));
  }

  uint64_t syscall(hw::GprFile& regs, x86::GuestMemory& mem) override;

  std::string output;                    // what the program wrote to fds 1 and 2
  std::vector<std::string> unsupported;  // the "unsupported system call" lines

 private:
  int64_t sys_brk(uint64_t addr, x86::GuestMemory& mem);
  int64_t sys_mmap(const hw::GprFile& r, x86::GuestMemory& mem);
  int64_t sys_munmap(uint64_t addr, uint64_t len, x86::GuestMemory& mem);
  int64_t sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot, x86::GuestMemory& mem);
  int64_t sys_write(uint64_t fd, ByteSpan buf);
  int64_t sys_iov(bool write, const hw::GprFile& r, x86::GuestMemory& mem);
  int64_t sys_stat_to(const FileStat& st, uint64_t buf, x86::GuestMemory& mem);
  int64_t sys_fstat(uint64_t fd, uint64_t buf, x86::GuestMemory& mem);
  int64_t sys_clock_gettime(uint64_t clock, uint64_t tp, x86::GuestMemory& mem);
  int64_t sys_sleep(uint64_t req, x86::GuestMemory& mem);
  int64_t sys_uname(uint64_t buf, x86::GuestMemory& mem);
  int64_t sys_arch_prctl(uint64_t code, uint64_t addr, x86::GuestMemory& mem);
  int64_t sys_rt_sigaction(const hw::GprFile& r, x86::GuestMemory& mem);
  int64_t sys_rt_sigprocmask(const hw::GprFile& r, x86::GuestMemory& mem);
  int64_t not_supported(uint64_t nr);

  // The simulated clock: ns since program start.
  uint64_t now_ns() const { return instructions() + slept_ns_; }
  bool mapped(uint64_t va, uint64_t len) const;
  void unmap_range(uint64_t va, uint64_t len, x86::GuestMemory& mem);
  // pages_'s value: the program's PROT bits, and kPastEof for a file mapping's page wholly
  // past the end of its file.
  static constexpr unsigned kProtMask = 7, kPastEof = 0x100;
  static unsigned hw_prot(unsigned page);  // the page-table rights (x86::Prot bits, 0: none)
  bool enough_memory(uint64_t bytes) const;
  void note_mapped(uint64_t va, uint64_t len, unsigned prot);

  GuestKernel& k_;
  std::string comm_;
  std::function<void(ByteSpan)> tty_;
  GuestFiles files_;
  std::map<uint64_t, unsigned> pages_;  // user page -> prot (exec, brk, mmap), kPastEof
  uint64_t brk_base_ = 0, brk_ = 0;     // the heap: [brk_base_, brk_)
  uint64_t mmap_next_ = kMmapBase;
  uint64_t slept_ns_ = 0;
};

}  // namespace cbit::sw::guest
