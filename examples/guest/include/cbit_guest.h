/* cbit_guest.h: what a freestanding C program needs to run in a cbit guest (no libc).
 *
 * Build (docs/guest-programs.md):
 *   gcc -static -nostdlib -ffreestanding -fno-pie -no-pie -O2 -fno-stack-protector \
 *       -fno-tree-loop-distribute-patterns -I examples/guest/include \
 *       -o prog.elf prog.c examples/guest/cbit_start.c
 * cbit_start.c holds _start (argc, argv and envp from the SysV initial stack, psABI §3.4.1;
 * main's return value goes to exit_group) and memcpy, memmove, memset and memcmp, which the
 * compiler may call even in freestanding code.
 *
 * The wrappers below are thin: one Linux x86-64 system call each (numbers from
 * arch/x86/entry/syscalls/syscall_64.tbl), returning what the kernel returns: a value >= 0,
 * or -errno (no errno variable). The guest kernel serves the calls listed in
 * src/sw/guest/guest_syscalls.h; any other returns -ENOSYS (-38) and is named in dmesg. */
#ifndef CBIT_GUEST_H
#define CBIT_GUEST_H

typedef unsigned long size_t;
typedef long ssize_t;
typedef long off_t;
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef unsigned long uint64_t;

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_fstat 5
#define SYS_lseek 8
#define SYS_mmap 9
#define SYS_mprotect 10
#define SYS_munmap 11
#define SYS_brk 12
#define SYS_ioctl 16
#define SYS_pause 34
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_exit 60
#define SYS_mkdir 83
#define SYS_clock_gettime 228
#define SYS_exit_group 231

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define ENOSYS 38

struct timespec {
  long tv_sec, tv_nsec;
};

/* The SYSCALL instruction: number in RAX, arguments in RDI, RSI, RDX, R10, R8, R9; the kernel
 * clobbers RCX and R11. */
static inline long cbit_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
static inline long cbit_syscall3(long nr, long a, long b, long c) {
  return cbit_syscall6(nr, a, b, c, 0, 0, 0);
}

static inline ssize_t sys_read(int fd, void* buf, size_t n) {
  return cbit_syscall3(SYS_read, fd, (long)buf, (long)n);
}
static inline ssize_t sys_write(int fd, const void* buf, size_t n) {
  return cbit_syscall3(SYS_write, fd, (long)buf, (long)n);
}
static inline int sys_open(const char* path, int flags) {
  return (int)cbit_syscall3(SYS_open, (long)path, flags, 0);
}
static inline int sys_close(int fd) { return (int)cbit_syscall3(SYS_close, fd, 0, 0); }
static inline off_t sys_lseek(int fd, off_t off, int whence) {
  return cbit_syscall3(SYS_lseek, fd, off, whence);
}
static inline long sys_ioctl(int fd, unsigned long cmd, void* arg) {
  return cbit_syscall3(SYS_ioctl, fd, (long)cmd, (long)arg);
}
static inline int sys_mkdir(const char* path, int mode) {
  return (int)cbit_syscall3(SYS_mkdir, (long)path, mode, 0);
}
static inline void* sys_mmap(void* addr, size_t len, int prot, int flags, int fd, off_t off) {
  return (void*)cbit_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
static inline int sys_munmap(void* addr, size_t len) {
  return (int)cbit_syscall3(SYS_munmap, (long)addr, (long)len, 0);
}
static inline int sys_mprotect(void* addr, size_t len, int prot) {
  return (int)cbit_syscall3(SYS_mprotect, (long)addr, (long)len, prot);
}
static inline unsigned long sys_brk(unsigned long addr) {
  return (unsigned long)cbit_syscall3(SYS_brk, (long)addr, 0, 0);
}
static inline int sys_clock_gettime(int clock, struct timespec* ts) {
  return (int)cbit_syscall3(SYS_clock_gettime, clock, (long)ts, 0);
}
static inline int sys_nanosleep(const struct timespec* req, struct timespec* rem) {
  return (int)cbit_syscall3(SYS_nanosleep, (long)req, (long)rem, 0);
}
static inline int sys_getpid(void) { return (int)cbit_syscall3(SYS_getpid, 0, 0, 0); }
static inline long sys_pause(void) { return cbit_syscall3(SYS_pause, 0, 0, 0); }
static inline __attribute__((noreturn)) void sys_exit_group(int status) {
  cbit_syscall3(SYS_exit_group, status, 0, 0);
  __builtin_unreachable();
}

/* cbit_start.c: the functions the compiler may call. memcmp stops at the first difference and
 * returns it (a[i] - b[i]), as musl's does. */
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);

/* Small helpers for output without printf. */
static inline size_t cbit_strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}
static inline void cbit_puts(int fd, const char* s) { sys_write(fd, s, cbit_strlen(s)); }
/* The decimal digits of v (with '-' when negative) into out; returns the length (<= 20). */
static inline int cbit_fmt_long(char* out, long v) {
  char d[20];
  int n = 0, len = 0;
  unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
  do {
    d[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) out[len++] = '-';
  while (n) out[len++] = d[--n];
  return len;
}
static inline void cbit_put_long(int fd, long v) {
  char b[24];
  sys_write(fd, b, (size_t)cbit_fmt_long(b, v));
}
/* "0x" and the hex digits of v into out; returns the length (<= 18). */
static inline int cbit_fmt_hex(char* out, unsigned long v) {
  char d[16];
  int n = 0, len = 0;
  do {
    d[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  out[len++] = '0';
  out[len++] = 'x';
  while (n) out[len++] = d[--n];
  return len;
}
/* One "name: v" line on stdout (names up to 64 bytes), as the probe programs report: v in
 * decimal, or in hex (an address) with cbit_report_hex. */
static inline void cbit_report_as(const char* name, long v, int hex) {
  char b[96];
  size_t n = cbit_strlen(name);
  if (n > 64) n = 64;
  for (size_t i = 0; i < n; ++i) b[i] = name[i];
  b[n++] = ':';
  b[n++] = ' ';
  n += (size_t)(hex ? cbit_fmt_hex(b + n, (unsigned long)v) : cbit_fmt_long(b + n, v));
  b[n++] = '\n';
  sys_write(1, b, n);
}
static inline void cbit_report(const char* name, long v) { cbit_report_as(name, v, 0); }
static inline void cbit_report_hex(const char* name, unsigned long v) {
  cbit_report_as(name, (long)v, 1);
}

#endif /* CBIT_GUEST_H */
