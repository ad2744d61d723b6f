/* Seed 004's guest program (Oracle Linux blog, "Using AMD Secure Memory Encryption with Oracle
 * Linux", 2019): it formats "My secret is <n>" into a stack buffer, prints it and stays resident
 * (pause) so its memory can be dumped while it runs.
 *
 * Freestanding: no libc. Built by cmake/guest_programs.cmake as a static, non-PIE x86-64 ELF
 * with cbit's start file (include/cbit_guest.h, cbit_start.c) and run by cbit's x86 executor
 * (src/x86/process.h). */
#include "cbit_guest.h"

static int my_atoi(const char* s) {
  int sign = 1, n = 0;
  while (*s == ' ' || *s == '\t') ++s;
  if (*s == '-' || *s == '+') sign = (*s++ == '-') ? -1 : 1;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return sign * n;
}

/* sprintf restricted to what the seed needs: a format with %d (and %%). Returns the length. */
static int my_sprintf_d(char* out, const char* fmt, int value) {
  char* o = out;
  for (; *fmt; ++fmt) {
    if (fmt[0] == '%' && fmt[1] == 'd') {
      char digits[12];
      int nd = 0;
      unsigned int u = value < 0 ? 0u - (unsigned int)value : (unsigned int)value;
      if (value < 0) *o++ = '-';
      do {
        digits[nd++] = (char)('0' + u % 10);
        u /= 10;
      } while (u);
      while (nd) *o++ = digits[--nd];
      ++fmt;
    } else if (fmt[0] == '%' && fmt[1] == '%') {
      *o++ = '%';
      ++fmt;
    } else {
      *o++ = *fmt;
    }
  }
  *o = 0;
  return (int)(o - out);
}

int main(int argc, char** argv) {
  char str[32];
  int secret = -1;

  if (argc > 1) secret = my_atoi(argv[1]);

  int len = my_sprintf_d(str, "My secret is %d\n", secret);
  sys_write(1, str, (size_t)len);
  /* Stay resident with the secret on the stack, like the seed's "./a.out 123 &". */
  sys_pause();
  return 0;
}
