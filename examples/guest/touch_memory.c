/* Touches N MiB of anonymous memory, one store per 4 KiB page, prints "touched N MiB" and stays
 * resident (pause), so that a benchmark can weigh the host memory a guest costs against the
 * guest memory it really touched (bench/bench_scenario.cc, BM_TwoGuestsTouchedPeakRss).
 *
 * Freestanding: cbit's start file (include/cbit_guest.h, cbit_start.c); built by
 * cmake/guest_programs.cmake. Usage: touch_memory MIB (default 16). */
#include "cbit_guest.h"

int main(int argc, char** argv) {
  long mib = 16;
  if (argc > 1) {
    mib = 0;
    for (const char* s = argv[1]; *s >= '0' && *s <= '9'; ++s) mib = mib * 10 + (*s - '0');
  }
  const unsigned long bytes = (unsigned long)mib << 20;
  char* p = (char*)sys_mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if ((long)p < 0 && (long)p > -4096) {
    cbit_puts(2, "touch_memory: mmap failed\n");
    return 1;
  }
  for (unsigned long off = 0; off < bytes; off += 4096) p[off] = (char)(off >> 12);
  cbit_puts(1, "touched ");
  cbit_put_long(1, mib);
  cbit_puts(1, " MiB\n");
  sys_pause();
  return 0;
}
