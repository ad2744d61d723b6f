// `cbit host --simulate CPU`: the host snapshot of a simulated machine of a CPU preset, so the
// same checklist runs on it as on a real host, and `--raw` prints its leaves as `cpuid -r -1`
// does: a real host and its simulated twin side by side.
//
// The simulated machine is a host set up to use what its part has:
//  - BIOS: SMEE on (SYSCFG[23] MemEncryptionModEn) when the part reports SME; the preset's
//    "SEV-ES ASID Space Limit" (CPUID Fn8000_001F EDX, CpuModel::bios_note); with SNP, the RMP
//    reserved ("SNP Memory Coverage": RMP_BASE/RMP_END);
//  - Linux: the simulated kernel boots with mem_encrypt=on; with SNP, snp_rmptable_init sets
//    MFDM, then SNP_EN and SNP_VMPL_EN on every core; the ccp driver INITs the SEV firmware;
//    kvm_amd's sev_hardware_setup takes the ASID ranges from CPUID.
// Every value is read back from the simulated parts: CPUID and SYSCFG from the simulated CPU,
// the kernel log from the simulated kernel, kvm_amd's sev/sev_es from the simulated KVM;
// /dev/kvm and /dev/sev are as root finds them on such a host (rw; /dev/sev once INIT ran). The
// simulator has no SNP host kernel yet, so the lines Linux prints for the RMP table and the
// KVM ASID ranges are written here in Linux's words, and sev_snp is Y when SNP_EN is set and
// KVM has SEV-ES ASIDs (which SNP guests share).
#pragma once
#include "hw/cpu_models.h"
#include "tools/host/snapshot.h"

namespace cbit::tools::host {

HostSnapshot simulate_host(const hw::CpuModel& model);

}  // namespace cbit::tools::host
