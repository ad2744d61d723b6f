/* syscall_probe: a freestanding program (cbit_guest.h) that checks the guest kernel's system
 * calls the way a hostile or buggy program would call them, one "name: rc" line each (rc is
 * the raw return value: >= 0, or -errno), then a few good calls. tests/unit/x86/
 * x86_guest_syscalls_test.cc compares the lines with Linux's answers.
 *
 *   syscall_probe.elf   (no arguments) */
#include "cbit_guest.h"

#define BAD ((void*)0x10) /* unmapped: every copy to or from it must be -EFAULT (-14) */
#define KBAD ((void*)0xffff888000001000ul) /* the kernel's direct map: not for CPL 3 */

static char page[4096] __attribute__((aligned(4096)));

int main(int argc, char** argv) {
  (void)argc;
  const int self = sys_open(argv[0], O_RDONLY);
  long iov_bad[2] = {(long)BAD, 4};
  /* Bad pointers: -EFAULT (-14). */
  cbit_report("write_bad", sys_write(1, BAD, 4));
  cbit_report("write_kernel", sys_write(1, KBAD, 4));
  cbit_report("read_bad", sys_read(self, BAD, 4));
  cbit_report("open_bad", cbit_syscall3(SYS_open, (long)BAD, 0, 0));
  cbit_report("openat_bad", cbit_syscall6(257, -100, (long)BAD, 0, 0, 0, 0));
  cbit_report("stat_bad_path", cbit_syscall3(4, (long)BAD, (long)page, 0));
  cbit_report("stat_bad_buf", cbit_syscall3(4, (long)argv[0], (long)BAD, 0));
  cbit_report("fstat_bad", cbit_syscall3(SYS_fstat, 1, (long)BAD, 0));
  cbit_report("newfstatat_bad", cbit_syscall6(262, -100, (long)argv[0], (long)BAD, 0, 0, 0));
  cbit_report("writev_bad_array", cbit_syscall3(20, 1, (long)BAD, 1));
  cbit_report("writev_bad_buffer", cbit_syscall3(20, 1, (long)iov_bad, 1));
  cbit_report("readv_bad_array", cbit_syscall3(19, 0, (long)BAD, 1));
  cbit_report("clock_gettime_bad", sys_clock_gettime(CLOCK_MONOTONIC, BAD));
  cbit_report("gettimeofday_bad", cbit_syscall3(96, (long)BAD, 0, 0));
  cbit_report("time_bad", cbit_syscall3(201, (long)BAD, 0, 0));
  cbit_report("nanosleep_bad", sys_nanosleep(BAD, 0));
  cbit_report("uname_bad", cbit_syscall3(63, (long)BAD, 0, 0));
  cbit_report("arch_prctl_get_fs_bad", cbit_syscall3(158, 0x1003, (long)BAD, 0));
  cbit_report("rt_sigaction_bad", cbit_syscall6(13, 2, (long)BAD, 0, 8, 0, 0));
  cbit_report("rt_sigaction_bad_old", cbit_syscall6(13, 2, 0, (long)BAD, 8, 0, 0));
  cbit_report("rt_sigprocmask_bad", cbit_syscall6(14, 0, (long)BAD, 0, 8, 0, 0));
  cbit_report("mkdir_bad", sys_mkdir(BAD, 0755));
  cbit_report("ioctl_tty", sys_ioctl(1, 0x5413, BAD)); /* TIOCGWINSZ: -ENOTTY (-25) first */

  /* Bad values: -EINVAL (-22), -ENOMEM (-12), -EPERM (-1), -ESPIPE (-29), -EBADF (-9). */
  cbit_report("mmap_zero_len", (long)sys_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  cbit_report("mmap_bad_prot", (long)sys_mmap(0, 4096, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  cbit_report("mmap_no_type", (long)sys_mmap(0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0));
  cbit_report("mmap_huge",
              (long)sys_mmap(0, 1ul << 40, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  cbit_report("mmap_fixed_unaligned", (long)sys_mmap((void*)0x10000001, 4096, PROT_READ,
                                                     0x10 | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  cbit_report("munmap_unaligned", sys_munmap((void*)0x1001, 4096));
  cbit_report("mprotect_unmapped", cbit_syscall3(10, 0x10000000, 4096, PROT_READ));
  cbit_report("writev_negative", cbit_syscall3(20, 1, (long)iov_bad, -1));
  cbit_report("clock_bad_id", sys_clock_gettime(99, (struct timespec*)page));
  struct timespec bad_ts = {0, 2000000000};
  cbit_report("nanosleep_bad_nsec", sys_nanosleep(&bad_ts, 0));
  cbit_report("arch_prctl_kernel_fs", cbit_syscall3(158, 0x1002, (long)KBAD, 0));
  cbit_report("arch_prctl_bad_code", cbit_syscall3(158, 0x9999, 0, 0));
  cbit_report("rt_sigaction_size", cbit_syscall6(13, 2, 0, 0, 4, 0, 0));
  cbit_report("rt_sigaction_kill", cbit_syscall6(13, 9, (long)page, 0, 8, 0, 0));
  cbit_report("lseek_tty", sys_lseek(1, 0, 0));
  cbit_report("close_unopened", sys_close(42));

  /* Unsupported calls: -ENOSYS (-38), each named in dmesg. */
  cbit_report("clone", cbit_syscall3(56, 0, 0, 0));
  cbit_report("syscall_999", cbit_syscall3(999, 0, 0, 0));

  /* Good calls. */
  char* m = sys_mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  m[8191] = 7;
  cbit_report("mmap_rw", m[0] == 0 && m[8191] == 7);
  unsigned long b0 = sys_brk(0), b1 = sys_brk(b0 + 10000);
  ((char*)b0)[9999] = 1;
  cbit_report("brk_grow", b1 == b0 + 10000);
  cbit_report("mprotect_ro", cbit_syscall3(10, (long)m, 4096, PROT_READ));
  struct timespec t0, t1, nap = {1, 500};
  sys_clock_gettime(CLOCK_MONOTONIC, &t0);
  sys_nanosleep(&nap, 0);
  sys_clock_gettime(CLOCK_MONOTONIC, &t1);
  cbit_report("slept_s", t1.tv_sec - t0.tv_sec);
  const int fd = self;
  char elf[4] = {0};
  sys_lseek(fd, 0, 0);
  cbit_report("open_self", fd);
  cbit_report("read_self", sys_read(fd, elf, 4) == 4 && elf[1] == 'E' && elf[2] == 'L');
  cbit_report("lseek_end", sys_lseek(fd, 0, 2) > 0);
  cbit_report("open_self_rw", sys_open(argv[0], O_RDWR)); /* -EROFS (-30) */
  cbit_report("getpid", sys_getpid());
  return 0;
}
