/* password_ct: password_memcmp.c with a constant-time compare: every byte of both buffers is
 * read, whatever the guess, and the differences are OR-ed together; the only thing that
 * depends on the secret is the final result (printed anyway). A hypervisor counting #NPF exits
 * on the two pages sees the same trace for every guess.
 *
 *   password_ct.elf GUESS     prints "access granted" (exit 0) or "access denied" (exit 1) */
#if __STDC_HOSTED__
#include <stdio.h>
#define say(s) (fputs(s, stdout), fflush(stdout))
#else
#include "cbit_guest.h"
#define say(s) cbit_puts(1, s)
#endif

#define PW_MAX 16

static const char stored[4096] __attribute__((aligned(4096))) = "hunter42";
static char typed[4096] __attribute__((aligned(4096)));
static volatile unsigned long pw_len = 8;

/* Reads all n bytes of both buffers (volatile: no early exit, no vectorised shortcut). */
static int ct_equal(const volatile char* a, const volatile char* b, unsigned long n) {
  unsigned char diff = 0;
  for (unsigned long i = 0; i < n; ++i) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: password_ct GUESS\n");
    return 2;
  }
  const char* g = argv[1];
  for (int i = 0; i < PW_MAX; ++i) {
    typed[i] = *g;
    if (*g) ++g;
  }
  const int ok = ct_equal(typed, stored, pw_len) & (typed[pw_len] == 0);
  say(ok ? "access granted\n" : "access denied\n");
  return ok ? 0 : 1;
}
