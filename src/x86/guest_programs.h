// Where the example guest programs (examples/guest/*.c, built by cmake/guest_programs.cmake)
// are found at run time.
#pragma once
#include <string>

namespace cbit::x86 {

// The path of examples/guest/<name>.elf: beside the running binary (an installed cbit keeps
// them in <bindir>/examples/guest/ or <bindir>/), else in the build tree this library was
// configured for. Throws InputError naming the places searched when none has it.
std::string find_guest_program(const std::string& name);

}  // namespace cbit::x86
