#include "hw/cpu/fault.h"

#include <cstdio>

namespace cbit::hw {

namespace {
std::string describe(VirtAddr cr2, uint32_t ec) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "#PF at %#llx, error code %#x", (unsigned long long)cr2.value, ec);
  return buf;
}
}  // namespace

PageFault::PageFault(VirtAddr cr2, uint32_t error_code)
    : CpuException(kVector, error_code, describe(cr2, error_code)), cr2_(cr2) {}

}  // namespace cbit::hw
