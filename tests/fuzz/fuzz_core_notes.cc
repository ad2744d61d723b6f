// Fuzz target: the note reader for dump-guest-memory cores (sw/hv/dump.h) on hostile bytes.
// Whatever the input, it either throws InputError or returns notes whose bytes were inside the
// image; a prstatus note either decodes or is refused with InputError.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "sw/hv/dump.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::sw::hv;
  try {
    const auto notes = parse_core_notes(cbit::ByteSpan(data, size), "fuzz");
    for (const CoreNote& n : notes) {
      CBIT_ASSERT(n.desc.size() <= size && n.name.size() <= size);
      try {
        uint32_t pid = 0;
        (void)prstatus_regs(n, &pid);
      } catch (const cbit::InputError&) {
      }
    }
  } catch (const cbit::InputError&) {
  }
  return 0;
}
