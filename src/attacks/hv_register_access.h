// The hypervisor reads and rewrites the guest's registers at an exit (KVM_GET_REGS /
// KVM_SET_REGS, or the VMCB save area directly). The guest keeps a key in R12 across a HLT exit
// and, after it, trusts RBX (a "privileged" flag it set to 0).
//  - off, SEV: the registers are the hypervisor's to read and write (SEV encrypts memory only):
//    it reads the key and flips RBX, and the guest takes the other branch.
//  - SEV-ES: the state is in the encrypted VMSA (APM Vol. 2 §15.35): KVM_GET/SET_REGS give
//    -EINVAL, the VMSA through the hypervisor's mapping is ciphertext, and a write into it makes
//    the next VMRUN fail its integrity check (VMEXIT_INVALID): denial of service, not the key.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult hv_register_access(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
