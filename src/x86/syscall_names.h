// The names of Linux's x86-64 system calls, for messages that name a call the guest kernel does
// not serve ("unsupported system call 56 (clone)"). Numbers and names: Linux
// arch/x86/entry/syscalls/syscall_64.tbl (the "common" and "64" ABI rows, 0-334 and 424-446).
#pragma once
#include <cstdint>
#include <string_view>

namespace cbit::x86 {

// The call's name, or "" for a number the table does not hold.
std::string_view syscall_name(uint64_t nr);

}  // namespace cbit::x86
