#include "hw/psp/sev/alias_check.h"

#include <array>

#include "hw/memctrl/memory_controller.h"

namespace cbit::hw::psp::sev {

uint64_t dram_alias_check(MemoryController& mc, uint64_t map_bytes) {
  using Block = std::array<uint8_t, 16>;
  const SysPhysAddr p(0);  // every probed bit is clear in P
  for (uint64_t bit = kPageSize; bit && p.value + bit + 16 <= map_bytes; bit <<= 1) {
    const SysPhysAddr q(p.value | bit);
    if (!mc.is_backed(p, 16) || !mc.is_backed(q, 16)) continue;
    Block save_p{}, save_q{}, a{}, b{}, back{};
    mc.read(p, save_p, EncTag::none());
    mc.read(q, save_q, EncTag::none());
    a.fill(0xA5);
    b.fill(0x5A);
    mc.write(p, a, EncTag::none());
    mc.write(q, b, EncTag::none());
    mc.read(p, back, EncTag::none());
    mc.write(q, save_q, EncTag::none());
    mc.write(p, save_p, EncTag::none());
    if (back != a) return bit;
  }
  return 0;
}

}  // namespace cbit::hw::psp::sev
