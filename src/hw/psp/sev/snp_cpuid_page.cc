#include "hw/psp/sev/snp_cpuid_page.h"

#include "hw/cpu/cpuid.h"

namespace cbit::hw::psp::sev {
namespace {

// Which registers of a leaf are feature flags (bit 0 EAX .. bit 3 EDX).
unsigned feature_regs(uint32_t leaf, uint32_t sub) {
  switch (leaf) {
    case 0x00000001:
      return 0b1100;  // ECX, EDX
    case 0x00000007:
      return sub == 0 ? 0b1110 : 0;  // EBX, ECX, EDX
    case 0x80000001:
      return 0b1100;
    case 0x8000001F:
      return 0b0001;  // EAX: the SEV feature bits
    default:
      return 0;
  }
}

}  // namespace

CpuidCheck snp_check_cpuid_page(MutByteSpan page, const CpuModel& cpu) {
  CpuidCheck r;
  const uint32_t count = load_le<uint32_t>(page.data());
  if (load_le<uint32_t>(page.data() + 4) != 0 || load_le<uint64_t>(page.data() + 8) != 0 ||
      count > kSnpCpuidCountMax) {
    r.status = SevStatus::InvalidParam;
    return r;
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t* e = page.data() + kSnpCpuidHeaderSize + i * kSnpCpuidEntrySize;
    const uint32_t leaf = load_le<uint32_t>(e), sub = load_le<uint32_t>(e + 4);
    const unsigned regs = feature_regs(leaf, sub);
    if (!regs) continue;
    const CpuidResult hw = cpuid(cpu, leaf, sub);
    const uint32_t have[4] = {hw.eax, hw.ebx, hw.ecx, hw.edx};
    for (unsigned reg = 0; reg < 4; ++reg) {
      if (!(regs >> reg & 1)) continue;
      uint8_t* p = e + 0x18 + 4 * reg;
      const uint32_t given = load_le<uint32_t>(p);
      if (given & ~have[reg]) {
        store_le(p, given & have[reg]);
        r.corrected = true;
      }
    }
  }
  if (r.corrected) r.status = SevStatus::InvalidParam;
  return r;
}

}  // namespace cbit::hw::psp::sev
