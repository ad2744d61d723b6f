#include "sw/hv/devices.h"

#include <cstring>

#include "common/error.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

Bytes make_cbit_disk(ByteSpan file, const std::string& name) {
  const uint64_t sectors = 1 + (file.size() + kSectorSize - 1) / kSectorSize;
  Bytes disk(sectors * kSectorSize, 0);
  std::memcpy(disk.data(), "CBITDISK", 8);
  store_le<uint64_t>(disk.data() + 8, file.size());
  std::memcpy(disk.data() + 16, name.data(), std::min<size_t>(name.size(), 31));
  std::memcpy(disk.data() + kSectorSize, file.data(), file.size());
  return disk;
}

void CbitBlk::kick(VmMemory& mem, uint64_t request_gpa) {
  ++requests_;
  uint8_t req[24];
  try {
    mem.read(GuestPhysAddr(request_gpa), req);
  } catch (const InputError&) {
    return;  // a request outside guest RAM: nothing to answer
  }
  const uint64_t sector = load_le<uint64_t>(req);
  const uint32_t n = load_le<uint32_t>(req + 8);
  const uint64_t buf = load_le<uint64_t>(req + 16);
  uint32_t status = 1;
  const uint64_t total = disk_.size() / kSectorSize;
  if (n > 0 && n <= 256 && sector < total && n <= total - sector) {
    try {
      mem.write(GuestPhysAddr(buf),
                ByteSpan(disk_.data() + sector * kSectorSize, uint64_t{n} * kSectorSize));
      status = 0;
    } catch (const InputError&) {
    }
  }
  uint8_t st[4];
  store_le(st, status);
  try {
    mem.write(GuestPhysAddr(request_gpa + 12), st);
  } catch (const InputError&) {
  }
}

}  // namespace cbit::sw::hv
