#include "hw/cpu/paging.h"

#include <algorithm>

namespace cbit::hw {

PhysAddrLayout PhysAddrLayout::make(const CpuModel& model, bool mem_encrypt_enabled) {
  PhysAddrLayout l;
  l.maxphyaddr = std::min(model.maxphyaddr, pte::kMaxPhysBits);
  l.phys_bits = l.maxphyaddr;
  if (mem_encrypt_enabled) {
    // Without the feature there is no C-bit to honour, whatever SYSCFG says.
    const auto& f = model.fn8000_001f;
    if (f.has(SevFeature::Sme) || f.has(SevFeature::Sev)) {
      const unsigned reduction = std::min(f.phys_addr_reduction(), l.maxphyaddr - 12);
      l.phys_bits = l.maxphyaddr - reduction;
      l.c_bit_mask = 1ull << f.cbit_position();
    }
  }
  l.addr_mask = bit_range(12, l.phys_bits) & ~l.c_bit_mask;
  l.reserved_mask = bit_range(l.phys_bits, pte::kMaxPhysBits) & ~l.c_bit_mask;
  return l;
}

}  // namespace cbit::hw
