// Gathers a HostSnapshot from the machine this runs on — the only part of `cbit host` that
// touches the real system:
//  - CPUID leaves 0, 1, 0x8000_0000..0x8000_0004 and 0x8000_001F by the cpuid instruction;
//  - SYSCFG and SEV_STATUS by pread on /dev/cpu/0/msr (needs the msr module and root; the
//    reason is recorded when it cannot be read);
//  - /sys/module/kvm_amd/parameters/*, the device nodes /dev/sev, /dev/sev-guest, /dev/kvm
//    (opened and closed, as sevctl does);
//  - the kernel log (syslog(2) READ_ALL), keeping the memory-encryption lines only;
//  - the memory-encryption flags of /proc/cpuinfo and /proc/cmdline.
#pragma once
#include <cstdint>
#include <vector>

#include "tools/host/snapshot.h"

namespace cbit::tools::host {

// The leaves a snapshot records (subleaf 0 each).
const std::vector<uint32_t>& probed_cpuid_leaves();

CpuidRegs read_cpuid(uint32_t leaf, uint32_t subleaf = 0);

HostSnapshot probe_host();

// True for kernel log lines about memory encryption (what the snapshot keeps).
bool is_memory_encryption_log_line(const std::string& line);

}  // namespace cbit::tools::host
