// Gathers a HostSnapshot from the machine this runs on — the only part of `cbit host` that
// touches the real system:
//  - CPUID leaves 0, 1, 0x8000_0000..0x8000_0004 and 0x8000_001F by the cpuid instruction;
//  - SYSCFG and SEV_STATUS by pread on /dev/cpu/N/msr (needs the msr module and root; the
//    reason is recorded when it cannot be read);
//  - /sys/module/kvm_amd/parameters/*, the device nodes /dev/sev, /dev/sev-guest, /dev/kvm
//    (opened and closed, as sevctl does);
//  - the kernel log (syslog(2) READ_ALL), keeping the memory-encryption lines only;
//  - the memory-encryption flags of /proc/cpuinfo and /proc/cmdline.
//
// CPUID answers for the logical CPU that executes it: leaf 1 EBX[31:24] is that CPU's initial
// APIC ID (and hybrid parts differ in more). So the probe pins its thread to one CPU N, the
// lowest-numbered one it may run on (normally 0), for all its reads, and reads that CPU's
// MSRs; otherwise the scheduler could move it between two reads and mix CPUs.
#pragma once
#include <sched.h>

#include <cstdint>
#include <vector>

#include "tools/host/snapshot.h"

namespace cbit::tools::host {

// The leaves a snapshot records (subleaf 0 each).
const std::vector<uint32_t>& probed_cpuid_leaves();

// On whichever CPU the calling thread runs now (pin it first to compare two reads).
CpuidRegs read_cpuid(uint32_t leaf, uint32_t subleaf = 0);

// The CPU probe_host() reads on: the lowest-numbered CPU the calling thread may run on.
int probe_cpu();

// Pins the calling thread to one CPU for its lifetime and restores the previous affinity.
// pinned() is false when the kernel refused (the reads then come from any CPU).
class ScopedCpuPin {
 public:
  explicit ScopedCpuPin(int cpu);
  ~ScopedCpuPin();
  ScopedCpuPin(const ScopedCpuPin&) = delete;
  ScopedCpuPin& operator=(const ScopedCpuPin&) = delete;
  bool pinned() const { return pinned_; }

 private:
  cpu_set_t old_{};
  bool pinned_ = false;
};

HostSnapshot probe_host();

// True for kernel log lines about memory encryption (what the snapshot keeps).
bool is_memory_encryption_log_line(const std::string& line);

}  // namespace cbit::tools::host
