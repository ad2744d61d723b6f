// SEVered (Morbitzer et al., EuroSec 2018): the hypervisor re-points a guest page's nested page
// table entry at another guest page's system frame. The guest has a private secret page A and
// a public page B that it hands out on request (it copies B into a shared page and exits). After
// the hypervisor maps B's GPA onto A's frame, the next request returns A: SEV and SEV-ES encrypt
// with the guest key and an address tweak of the *system* address, so the guest decrypts A's
// frame correctly; nothing checks that the mapping is the one the guest had. SEV-SNP's reverse
// map table (RMP) is what stops this (AMD SEV-SNP whitepaper, "Integrity threats: remapping";
// APM §15.36.10, Table 15-39): the RMP entry of A's frame names A's GPA, so the guest's access
// through B's GPA is a #NPF with the RMP bit (reverse-map mismatch) and the guest is not run.
// The hypervisor's next move, RMPUPDATE of A's frame to B's GPA, clears Validated: the guest's
// next access raises #VC PAGE_NOT_VALIDATED (0x404) in the guest, which treats it as an attack
// and terminates (GHCB MSR protocol termination request, as Linux does on an unexpected #VC).
// Verdict on SNP: blocked, with both faults in the evidence.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult npt_remap(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
