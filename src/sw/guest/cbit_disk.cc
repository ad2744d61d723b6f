#include "sw/guest/cbit_disk.h"

#include <cstring>

namespace cbit::sw::guest {

void BlkRequest::encode(uint8_t (&out)[kSize]) const {
  store_le<uint64_t>(out + kSectorOff, sector);
  store_le<uint32_t>(out + kNsectorsOff, nsectors);
  store_le<uint32_t>(out + kStatusOff, status);
  store_le<uint64_t>(out + kBufferOff, buffer_gpa);
}

BlkRequest BlkRequest::decode(const uint8_t (&in)[kSize]) {
  BlkRequest r;
  r.sector = load_le<uint64_t>(in + kSectorOff);
  r.nsectors = load_le<uint32_t>(in + kNsectorsOff);
  r.status = load_le<uint32_t>(in + kStatusOff);
  r.buffer_gpa = load_le<uint64_t>(in + kBufferOff);
  return r;
}

std::optional<DiskHeader> parse_disk_header(ByteSpan s, std::string* why) {
  const auto fail = [&](const char* reason) -> std::optional<DiskHeader> {
    if (why) *why = reason;
    return std::nullopt;
  };
  constexpr size_t kNameOff = 16;
  if (s.size() < kNameOff + DiskHeader::kNameSize) return fail("header shorter than 48 bytes");
  if (std::memcmp(s.data(), DiskHeader::kMagic, sizeof DiskHeader::kMagic) != 0)
    return fail("no CBITDISK magic");
  DiskHeader h;
  h.file_size = load_le<uint64_t>(s.data() + 8);
  if (h.file_size > DiskHeader::kMaxFileSize) return fail("file size beyond 64 MiB");
  const uint8_t* name = s.data() + kNameOff;
  size_t len = 0;
  while (len < DiskHeader::kNameSize && name[len] != 0) ++len;
  if (len == DiskHeader::kNameSize) return fail("file name not NUL-terminated");
  if (len == 0) return fail("empty file name");
  for (size_t i = 0; i < len; ++i)
    if (name[i] < 0x21 || name[i] > 0x7e || name[i] == '/')
      return fail("file name not printable ASCII");
  h.name.assign(reinterpret_cast<const char*>(name), len);
  return h;
}

}  // namespace cbit::sw::guest
