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
  l.finish();
  return l;
}

PhysAddrLayout PhysAddrLayout::make_guest(const CpuModel& model, bool sev) {
  PhysAddrLayout l;
  l.maxphyaddr = std::min(model.maxphyaddr, pte::kMaxPhysBits);
  l.phys_bits = l.maxphyaddr;  // the reduction applies to system addresses only
  l.c_bit_mask = sev ? 1ull << model.fn8000_001f.cbit_position() : 0;
  l.finish();
  return l;
}

void PhysAddrLayout::finish() {
  addr_mask = bit_range(12, phys_bits) & ~c_bit_mask;
  reserved_mask = bit_range(phys_bits, pte::kMaxPhysBits) & ~c_bit_mask;
}

}  // namespace cbit::hw
