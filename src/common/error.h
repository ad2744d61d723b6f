// The error channels, kept apart (STYLE.md):
//  - InputError: bad user input (a file, a flag, a scenario). One line that names the input and
//    what is wrong; the CLI prints it and exits non-zero.
//  - Architectural faults (#PF, #NPF, #VC): typed, in hw/cpu/fault.h.
//  - Firmware results: the spec's status codes (psp/), never exceptions.
//  - Simulator bugs: CBIT_ASSERT, which aborts with file and line.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace cbit {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

[[noreturn]] inline void assert_fail(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "cbit: internal error: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

}  // namespace cbit

#define CBIT_ASSERT(expr) ((expr) ? (void)0 : ::cbit::assert_fail(#expr, __FILE__, __LINE__))
