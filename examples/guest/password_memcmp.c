/* password_memcmp: checks a typed password against the stored one with memcmp, which stops at
 * the first byte that differs (issue 11 §2; the CipherLeaks example, docs/guest-programs.md).
 *
 *   password_memcmp.elf GUESS     prints "access granted" (exit 0) or "access denied" (exit 1)
 *
 * The two buffers sit on pages of their own (the stored password in .rodata, the typed one in
 * .bss), so a hypervisor that unmaps both pages in the nested page tables sees one #NPF per
 * byte it touches: memcmp touches 2 pages per byte up to the first difference, so the number
 * of exits gives away how long the matching prefix is. password_ct.c is the same program with
 * a constant-time compare.
 *
 * Built two ways (cmake/guest_programs.cmake): freestanding with cbit_guest.h (memcmp from
 * cbit_start.c, musl's algorithm) and, when musl-gcc is installed, as a static musl binary
 * (password_memcmp.musl.elf, musl's memcmp). */
#if __STDC_HOSTED__
#include <stdio.h>
#include <string.h>
#define say(s) (fputs(s, stdout), fflush(stdout))
#else
#include "cbit_guest.h"
#define say(s) cbit_puts(1, s)
#endif

#define PW_MAX 16

static const char stored[4096] __attribute__((aligned(4096))) = "hunter42";
static char typed[4096] __attribute__((aligned(4096)));
/* volatile: the compiler must not turn memcmp of a known length into one wide compare. */
static volatile unsigned long pw_len = 8;

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: password_memcmp GUESS\n");
    return 2;
  }
  /* Copy a fixed PW_MAX bytes (zero-padded), the same work for every guess. */
  const char* g = argv[1];
  for (int i = 0; i < PW_MAX; ++i) {
    typed[i] = *g;
    if (*g) ++g;
  }
  const int ok = memcmp(typed, stored, pw_len) == 0 && typed[pw_len] == 0;
  say(ok ? "access granted\n" : "access denied\n");
  return ok ? 0 : 1;
}
