// Fuzz target: what the guest kernel takes from its (untrusted) disk and hypervisor - the
// cbit-blk disk header and the request descriptor the device writes back. The parser either
// refuses with a reason or returns a header whose name is 1..31 printable characters and whose
// size is within the limit; decoding a descriptor round-trips.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "sw/guest/cbit_disk.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::sw::guest;
  std::string why;
  const auto h = parse_disk_header(cbit::ByteSpan(data, size), &why);
  if (h) {
    CBIT_ASSERT(!h->name.empty() && h->name.size() < DiskHeader::kNameSize);
    for (char c : h->name) CBIT_ASSERT(c > 0x20 && c < 0x7f && c != '/');
    CBIT_ASSERT(h->file_size <= DiskHeader::kMaxFileSize);
    CBIT_ASSERT(h->file_sectors() * kSectorSize >= h->file_size);
  } else {
    CBIT_ASSERT(!why.empty());
  }
  if (size >= BlkRequest::kSize) {
    uint8_t in[BlkRequest::kSize], out[BlkRequest::kSize];
    std::memcpy(in, data, sizeof in);
    BlkRequest::decode(in).encode(out);
    CBIT_ASSERT(std::memcmp(in, out, sizeof in) == 0);
  }
  return 0;
}
