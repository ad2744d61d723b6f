// Fuzz target: the guest-program ELF loader (src/x86/elf_image.h) on hostile bytes. Whatever
// the input, it either throws InputError or returns segments that are sorted, disjoint, inside
// the user address space, within the size limits, with an entry point in an executable one.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "x86/elf_image.h"
#include "x86/guest_memory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::x86;
  try {
    const ElfImage img = ElfImage::parse(cbit::ByteSpan(data, size), "fuzz");
    CBIT_ASSERT(!img.segments.empty());
    CBIT_ASSERT(img.segments.size() <= ElfImage::kMaxSegments);
    uint64_t total = 0, prev_end = 0;
    bool entry_in_code = false;
    for (const ElfSegment& s : img.segments) {
      CBIT_ASSERT(s.bytes.size() <= s.memsz && s.bytes.size() <= size);
      CBIT_ASSERT(s.vaddr.value >= prev_end && s.vaddr.value >= cbit::kPageSize);
      CBIT_ASSERT(s.vaddr.value + s.memsz <= ElfImage::kUserTop);
      prev_end = s.vaddr.value + s.memsz;
      total += s.memsz;
      entry_in_code |=
          has(s.prot, Prot::X) && img.entry.value >= s.vaddr.value && img.entry.value < prev_end;
    }
    CBIT_ASSERT(total <= ElfImage::kMaxMemory);
    CBIT_ASSERT(entry_in_code);
  } catch (const cbit::InputError&) {
  }
  return 0;
}
