/* mm_probe: a freestanding program (cbit_guest.h) that checks the guest kernel's memory system
 * calls as a program sees them: munmap really unmaps, mprotect(PROT_NONE) and PROT_READ take
 * rights away, and mmap of a file on the guest's disk gives its bytes, privately.
 * tests/unit/x86/x86_guest_mm_test.cc runs it in a guest and compares with Linux.
 *
 *   mm_probe.elf                 one "name: value" line per check, then exit 0
 *   mm_probe.elf TOUCH           prints "addr: 0x..." (hex), then makes the access that must
 *                                fault in that page; the kernel kills the program (dmesg names
 *                                the #PF)
 *   mm_probe.elf TOUCH control   the same without taking the rights away: the access works,
 *                                "survived: V" is printed and the program exits 0
 * TOUCH is one of:
 *   munmap          read a page after munmap           (#PF error 0x4: user, read, not present)
 *   protnone        read a page after PROT_NONE        (0x4)
 *   protnone-write  write a page after PROT_NONE       (0x6: user, write, not present)
 *   readonly        write a page after PROT_READ       (0x7: user, write, present)
 *   file-readonly   write a PROT_READ file mapping     (0x7)
 *   past-eof        read a file mapping's page wholly past the end of the file (0x4) */
#include "cbit_guest.h"

#define PAGE 4096ul

static int streq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}

static char* anon(size_t len, int prot) {
  return sys_mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* The checks that do not fault. */
static int checks(const char* self) {
  volatile char* m = anon(2 * PAGE, PROT_READ | PROT_WRITE);
  m[0] = 'a';
  m[PAGE] = 'b';
  /* munmap of the first page; MAP_FIXED there again gives a new, zeroed page. */
  cbit_report("munmap", sys_munmap((void*)m, PAGE));
  cbit_report("munmap_again", sys_munmap((void*)m, PAGE)); /* nothing mapped: still 0 */
  cbit_report("second_page_kept", m[PAGE] == 'b');
  volatile char* r = sys_mmap((void*)m, PAGE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  cbit_report("remap_same_address", r == m);
  cbit_report("remap_reads_zero", r[0] == 0);
  cbit_report("mprotect_unmapped",
              sys_mprotect((void*)(m + 2 * PAGE), PAGE, PROT_READ)); /* -ENOMEM */
  /* PROT_NONE and back: the bytes survive. */
  r[1] = 'k';
  cbit_report("protnone", sys_mprotect((void*)r, PAGE, PROT_NONE));
  cbit_report("protnone_back", sys_mprotect((void*)r, PAGE, PROT_READ | PROT_WRITE));
  cbit_report("protnone_keeps_bytes", r[1] == 'k');
  /* MAP_FIXED_NOREPLACE over a mapping: -EEXIST; MAP_FIXED replaces it with zeros. */
  cbit_report("fixed_noreplace",
              (long)sys_mmap((void*)m, PAGE, PROT_READ,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  volatile char* z = sys_mmap((void*)(m + PAGE), PAGE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  cbit_report("fixed_replaces_with_zero", z == m + PAGE && z[0] == 0);
  cbit_report("mprotect_high_prot_bits",
              cbit_syscall3(SYS_mprotect, (long)r, (long)PAGE, 1l << 32));
  /* munmap gives the frames back: 24 MiB mapped and unmapped 1 MiB at a time fits in a guest
   * of 16 MiB only if it does. */
  long churn = 1;
  for (int i = 0; i < 24 && churn; ++i) {
    volatile char* c = anon(1ul << 20, PROT_READ | PROT_WRITE);
    if ((long)c < 0)
      churn = (long)c;
    else {
      c[(1ul << 20) - 1] = 1;
      sys_munmap((void*)c, 1ul << 20);
    }
  }
  cbit_report("churn_24_mib", churn);
  /* brk: a shrunk heap grows back zeroed. */
  unsigned long b0 = sys_brk(0);
  sys_brk(b0 + 2 * PAGE);
  ((volatile char*)b0)[PAGE + 5] = 9;
  sys_brk(b0);
  sys_brk(b0 + 2 * PAGE);
  cbit_report("brk_regrow_zero", ((volatile char*)b0)[PAGE + 5] == 0);

  /* The disk's file (this program). */
  const int fd = sys_open(self, O_RDONLY);
  cbit_report("open_self", fd >= 3);
  const long size = sys_lseek(fd, 0, 2);
  const volatile unsigned char* f = sys_mmap(0, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
  cbit_report("file_mapped", (long)f > 0);
  cbit_report("file_elf_magic", f[0] == 0x7f && f[1] == 'E' && f[2] == 'L' && f[3] == 'F');
  /* An offset: the same bytes read() gives there. */
  unsigned char buf[16];
  sys_lseek(fd, (off_t)PAGE, 0);
  sys_read(fd, buf, sizeof buf);
  const volatile unsigned char* f1 = sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, (off_t)PAGE);
  int same = 1;
  for (int i = 0; i < 16; ++i) same &= f1[i] == buf[i];
  cbit_report("file_offset_matches_read", same);
  /* The last page's bytes past the end of the file read as zero. */
  cbit_report("file_tail_zero", (size % PAGE) == 0 || f[size] == 0);
  /* A private writable mapping: the program's writes stay in its copy. */
  volatile unsigned char* w = sys_mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  w[0] = 'X';
  sys_lseek(fd, 0, 0);
  sys_read(fd, buf, 4);
  cbit_report("private_write_seen", w[0] == 'X');
  cbit_report("private_write_not_in_file", buf[0] == 0x7f && f[0] == 0x7f);
  /* Shared mappings of the read-only file: reading is fine, writing is -EACCES. */
  cbit_report("shared_read", (long)sys_mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, 0) > 0);
  cbit_report("shared_write", (long)sys_mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  /* Bad descriptors and files without mmap. */
  cbit_report("file_bad_fd", (long)sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, 42, 0)); /* -EBADF */
  const int dir = sys_open("/", O_RDONLY);
  cbit_report("file_dir", dir < 0 ? dir : (long)sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, dir, 0));
  cbit_report("file_unaligned_offset", (long)sys_mmap(0, PAGE, PROT_READ, MAP_PRIVATE, fd, 100));
  /* munmap of 96 TiB where nothing is mapped: 0, at once (the kernel walks the pages mapped,
   * not the range). */
  cbit_report("munmap_96_tib", sys_munmap((void*)0x100000000000ul, 0x600000000000ul));
  /* munmap of a file mapping. */
  cbit_report("file_munmap", sys_munmap((void*)f, (size_t)size));
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return checks(argv[0]);
  const char* what = argv[1];
  const int control = argc > 2 && streq(argv[2], "control");
  volatile char* p = 0;
  int write = 0;
  if (streq(what, "munmap")) {
    p = anon(PAGE, PROT_READ | PROT_WRITE);
    p[7] = 42;
    if (!control) sys_munmap((void*)p, PAGE);
  } else if (streq(what, "protnone") || streq(what, "protnone-write")) {
    p = anon(PAGE, PROT_READ | PROT_WRITE);
    p[7] = 42;
    p[3] = 7;
    if (!control) sys_mprotect((void*)p, PAGE, PROT_NONE);
    write = streq(what, "protnone-write");
  } else if (streq(what, "readonly")) {
    p = anon(PAGE, PROT_READ | PROT_WRITE);
    p[7] = 42;
    if (!control) sys_mprotect((void*)p, PAGE, PROT_READ);
    cbit_report("read_before_write", p[7]);
    write = 1;
  } else if (streq(what, "file-readonly") || streq(what, "past-eof")) {
    const int fd = sys_open(argv[0], O_RDONLY);
    const long size = sys_lseek(fd, 0, 2);
    const long pages = (size + (long)PAGE - 1) / (long)PAGE;
    if (streq(what, "file-readonly")) {
      p = sys_mmap(0, PAGE, control ? PROT_READ | PROT_WRITE : PROT_READ, MAP_PRIVATE, fd, 0);
      write = 1;
    } else {
      /* One page more than the file has: the last is wholly past its end. The control maps
       * only the file's pages and reads its last one. */
      char* base = sys_mmap(0, (size_t)(pages + !control) * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
      p = base + (pages - control) * (long)PAGE;
    }
  } else {
    cbit_puts(2, "mm_probe: unknown test\n");
    return 2;
  }
  cbit_report_hex("addr", (unsigned long)p);
  char v;
  if (write) {
    p[3] = 7;
    v = p[3];
  } else {
    v = p[7];
  }
  cbit_report("survived", v);
  return 0;
}
