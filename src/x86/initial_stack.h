// The initial user stack of a new process (System V x86-64 psABI §3.4.1, "Initial Stack and
// Register State"; Linux fs/binfmt_elf.c create_elf_tables):
//
//   rsp ->  argc | argv[0..argc-1] | NULL | envp[0..] | NULL | auxv (type, value)... | AT_NULL
//           ... padding ... the argument and environment strings ... stack top
//
// RSP is 16-byte aligned at process entry.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "x86/guest_memory.h"

namespace cbit::x86 {

// Auxiliary vector types (include/uapi/linux/auxvec.h).
namespace at {
inline constexpr uint64_t kNull = 0;
inline constexpr uint64_t kPhdr = 3;
inline constexpr uint64_t kPhent = 4;
inline constexpr uint64_t kPhnum = 5;
inline constexpr uint64_t kPagesz = 6;
inline constexpr uint64_t kEntry = 9;
inline constexpr uint64_t kUid = 11;
inline constexpr uint64_t kEuid = 12;
inline constexpr uint64_t kGid = 13;
inline constexpr uint64_t kEgid = 14;
inline constexpr uint64_t kSecure = 23;
}  // namespace at

using AuxEntry = std::pair<uint64_t, uint64_t>;

// Writes the stack below `top` through `mem` (already mapped writable) and returns the initial
// RSP. `auxv` should not contain AT_NULL (it is appended). Throws InputError if the strings do
// not fit in `room` bytes.
uint64_t build_initial_stack(GuestMemory& mem, VirtAddr top, uint64_t room,
                             const std::vector<std::string>& argv,
                             const std::vector<std::string>& envp,
                             const std::vector<AuxEntry>& auxv);

}  // namespace cbit::x86
