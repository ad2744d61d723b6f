#include "hw/svm/vmsa_integrity.h"

#include <zlib.h>

namespace cbit::hw::svm {

uint32_t VmsaIntegrity::checksum(ByteSpan p) {
  // crc32_z, not crc32: libunicorn exports a crc32 of its own that would interpose.
  return static_cast<uint32_t>(crc32_z(0L, p.data(), p.size()));
}

bool VmsaIntegrity::matches(SysPhysAddr vmsa, ByteSpan plaintext) const {
  const auto it = values_.find(vmsa.value);
  return it != values_.end() && it->second == checksum(plaintext);
}

}  // namespace cbit::hw::svm
