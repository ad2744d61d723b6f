// How many #VMEXITs the simulated CPUs of this process have taken (Cpu::leave_guest counts
// them). The x86 executor (src/x86/page_cache.h) drops its plaintext pages when this moves
// during an access: the hypervisor may have changed the nested page tables at the exit, and the
// guest's TLB is flushed before it runs again (VMRUN flushes the nested TLB), so every page must
// be translated anew, and a page the hypervisor unmapped faults again (the controlled channel).
// Process-wide, not per CPU: an exit on another CPU only costs a refill.
#pragma once
#include <cstdint>

namespace cbit::hw {

uint64_t vmexits_so_far();
void note_vmexit();

}  // namespace cbit::hw
