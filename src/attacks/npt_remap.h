// SEVered (Morbitzer et al., EuroSec 2018): the hypervisor re-points a guest page's nested page
// table entry at another guest page's system frame. The guest has a private secret page A and
// a public page B that it hands out on request (it copies B into a shared page and exits). After
// the hypervisor maps B's GPA onto A's frame, the next request returns A: SEV and SEV-ES encrypt
// with the guest key and an address tweak of the *system* address, so the guest decrypts A's
// frame correctly; nothing checks that the mapping is the one the guest had. SEV-SNP's reverse
// map table (RMP) is what stops this (AMD SEV-SNP whitepaper, "Integrity threats: remapping");
// SNP is not modelled here.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult npt_remap(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
