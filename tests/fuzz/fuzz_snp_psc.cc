// Fuzzes the hypervisor's reading of a Page State Change buffer from the GHCB shared area: any
// bytes give either an error code of the GHCB spec or a buffer whose entries from cur_entry to
// end_entry all pass KVM's checks and re-encode to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "sw/ghcb/psc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::sw::ghcb;
  const cbit::ByteSpan in(data, std::min(size, kPscBufferSize));
  const PscDecode d = psc_decode(in);
  if (d.error != 0) {
    if (d.error != kPscErrorInvalidHdr && d.error != kPscErrorInvalidEntry) std::abort();
    return 0;
  }
  const PscBuffer& b = d.buffer;
  if (b.cur_entry > b.end_entry || b.end_entry >= kPscMaxEntries) std::abort();
  if (b.entries.size() != b.end_entry + 1u) std::abort();
  for (size_t i = b.cur_entry; i <= b.end_entry; ++i)
    if (psc_check_entry(b.entries[i]) != 0) std::abort();
  const cbit::Bytes again = b.serialize();
  if (again.size() > in.size() || std::memcmp(again.data(), in.data(), again.size()) != 0)
    std::abort();
  return 0;
}
