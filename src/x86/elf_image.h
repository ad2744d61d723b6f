// A static, non-PIE x86-64 ELF executable, as the x86 executor loads it (the binfmt_elf subset
// a freestanding program needs: ET_EXEC, EM_X86_64, PT_LOAD segments, no interpreter).
//
// Parsed with libelf. Anything else - not ELF, 32-bit, big-endian, another machine, a shared
// object or PIE, an interpreter, truncated tables or segments, overlapping or absurd segments,
// an entry point outside the executable segments, too large - is an InputError that names the
// file and the problem.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::x86 {

struct ElfSegment {
  VirtAddr vaddr;  // p_vaddr
  uint64_t memsz;  // p_memsz (the rest beyond the file bytes is zero, like .bss)
  Bytes bytes;     // the p_filesz file bytes
  unsigned prot;   // Prot bits from p_flags (PF_R = 4, PF_W = 2, PF_X = 1)
};

struct ElfImage {
  // Limits for what a guest program may be: generous for freestanding test programs, small
  // enough that a hostile header cannot make the loader allocate gigabytes.
  static constexpr uint64_t kMaxFileSize = 64ull << 20;
  static constexpr uint64_t kMaxMemory = 256ull << 20;  // sum of p_memsz
  static constexpr size_t kMaxSegments = 32;
  static constexpr uint64_t kUserTop = 0x0000'8000'0000'0000ull;  // end of the lower half

  VirtAddr entry;
  std::vector<ElfSegment> segments;  // PT_LOAD, in file order (sorted by vaddr, checked)
  // The program headers as the process sees them (auxv AT_PHDR/AT_PHENT/AT_PHNUM); phdr_vaddr
  // is 0 when no loaded segment covers them.
  VirtAddr phdr_vaddr;
  uint64_t phent = 0;
  uint64_t phnum = 0;

  static ElfImage parse(ByteSpan file, const std::string& name);
  static ElfImage load(const std::string& path);
};

}  // namespace cbit::x86
