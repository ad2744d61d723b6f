// A fuzz target that fails on purpose, for tests/fuzz/driver_selftest.sh: an input "cbit-die<k>"
// dies the way <k> says, so the test can check that the driver keeps the input for every way of
// dying (the 8-byte prefix is out of reach of the driver's random mutations).
// With CBIT_SELFTEST_MUTATION set, any input starting with 'Z' aborts: only a mutation of the
// test's corpus ("aaaa") gets there, so the driver's mutation path and seed are checked too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define CBIT_SELFTEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CBIT_SELFTEST_ASAN 1
#endif
#endif
#ifndef CBIT_SELFTEST_ASAN
#define CBIT_SELFTEST_ASAN 0
#endif

namespace {

volatile int g_sink;

// Not a tail call (the sum uses the result), so it cannot become a loop; g_sink is never -1,
// but the compiler cannot know that the recursion has no end.
int recurse(int depth) {
  if (g_sink == -1) return 0;
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool mutation_mode = std::getenv("CBIT_SELFTEST_MUTATION") != nullptr;
  if (mutation_mode && size >= 1 && data[0] == 'Z') std::abort();
  if (size < 9 || std::memcmp(data, "cbit-die", 8) != 0) return 0;
  switch (data[8]) {
    case '?':
      std::printf("asan=%d\n", CBIT_SELFTEST_ASAN);
      break;
    case 'S':  // SIGSEGV
      *static_cast<volatile int*>(nullptr) = 1;
      break;
    case 'A':  // SIGABRT
      std::abort();
    case 'T':  // SIGILL
      __builtin_trap();
    case 'X':  // std::terminate
      throw std::runtime_error("selftest");
    case 'R':  // stack overflow
      g_sink = recurse(0);
      break;
    case 'H':  // hang
      for (;;)
        g_sink = g_sink ^ 1;  // flips, never overflows: a fast core reaches INT_MAX within
                              // the 1 s timeout, and UBSan would end the hang as a crash
    case 'O': {               // heap overflow: only ASan notices, and reports without a signal
      std::vector<uint8_t> v(size);
      g_sink = v.data()[size + 8];
      break;
    }
    case 'U': {  // signed overflow: only UBSan notices
      volatile int big = 0x7fffffff;
      g_sink = big + static_cast<int>(size);
      break;
    }
  }
  return 0;
}
