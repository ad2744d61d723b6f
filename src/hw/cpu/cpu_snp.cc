// SEV-SNP instructions on the simulated core. Placeholders until the RMP instructions land
// (issue 9): each says so instead of pretending.
#include "hw/cpu/cpu.h"
#include "hw/cpu/fault.h"

namespace cbit::hw {

uint64_t Cpu::msr_for_firmware(uint32_t index) const {
  try {
    return msrs_.read(index);
  } catch (const CpuException&) {
    return 0;
  }
}

uint32_t Cpu::rmpupdate(uint64_t, VirtAddr) { throw NotModelled("RMPUPDATE"); }
uint32_t Cpu::psmash(uint64_t) { throw NotModelled("PSMASH"); }
uint32_t Cpu::rmpread(uint64_t, VirtAddr) { throw NotModelled("RMPREAD"); }
Cpu::RmpResult Cpu::pvalidate(VirtAddr, bool, bool) { throw NotModelled("PVALIDATE"); }
Cpu::RmpResult Cpu::rmpadjust(VirtAddr, bool, uint64_t) { throw NotModelled("RMPADJUST"); }

}  // namespace cbit::hw
