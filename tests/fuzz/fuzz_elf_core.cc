// Fuzz target: the ELF core reader of `cbit scan` (and the refused-format check) on hostile
// bytes. Whatever the input, the reader either throws InputError or returns segments that lie
// inside the image, and the classifier runs over their pages without reading out of bounds.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "tools/scan/dump_reader.h"
#include "tools/scan/page_classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::tools::scan;
  const cbit::ByteSpan image(data, size);
  try {
    refuse_unsupported_format(image.first(size < 16 ? size : 16), "fuzz");
    const DumpLayout layout = parse_elf_core(image, "fuzz");
    CBIT_ASSERT(!layout.segments.empty());
    for (const Segment& s : layout.segments) {
      CBIT_ASSERT(s.file_size <= s.mem_size);
      CBIT_ASSERT(s.file_size == 0 ||
                  (s.file_offset <= size && s.file_size <= size - s.file_offset));
      for (uint64_t off = 0; off < s.file_size && off < 16 * kPageSize; off += kPageSize) {
        const uint64_t n = s.file_size - off < kPageSize ? s.file_size - off : kPageSize;
        (void)classify_page(image.subspan(s.file_offset + off, n));
      }
    }
  } catch (const cbit::InputError&) {
  }
  return 0;
}
