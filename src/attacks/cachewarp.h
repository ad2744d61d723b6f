// CacheWarp (Zhang, Gerlach, Weber, Hetterich, Lü, Kogler, Schwarz, USENIX Security 2024;
// AMD-SB-3005, CVE-2023-20592): the hypervisor clears HWCR[INVDWBINVD] (MSR 0xC0010015 bit 4)
// and executes INVD at a moment it chooses, so the guest's most recent writes that are still
// dirty in the cache are dropped and the guest reads the older value from DRAM ("selective
// state reset"). Encryption and the RMP are not involved: the write never reaches memory.
//
// The guest boots as root ("uid=0", written back to DRAM by a WBINVD the hypervisor issues),
// then drops its privileges ("uid=1000") and halts. At that HLT exit the hypervisor writes back
// the lines the exit itself dirtied (the VMCB and VMSA pages, CLFLUSH through its mapping) and
// executes INVD. Verdict: the guest reads "uid=0" after resuming. Stopped on parts whose
// microcode keeps HWCR[4] set (CpuModel::cachewarp_fix); evidence records the bit as read back
// after the attacker's WRMSR.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult cachewarp(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
