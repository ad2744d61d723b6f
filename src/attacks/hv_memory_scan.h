// The hypervisor scans its guest's memory for a secret through its own mapping of guest RAM
// (what QEMU, a debugger or /dev/mem on the host reads). Plain VM: found. SEV / SEV-ES: the
// guest's private pages are guest-key ciphertext; the host key turns them into garbage (AMD SEV
// whitepaper; APM Vol. 2 §15.34).
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult hv_memory_scan(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
