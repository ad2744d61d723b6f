#include "attacks/attacker.h"

namespace cbit::attacks {

Bytes PhysicalAttacker::read_as_stored(SysPhysAddr spa, size_t n) {
  Bytes b(n);
  dma().dma_read(bus(spa, false), b);
  return b;
}

void PhysicalAttacker::write_as_stored(SysPhysAddr spa, ByteSpan bytes) {
  dma().dma_write(bus(spa, false), bytes);
}

}  // namespace cbit::attacks
