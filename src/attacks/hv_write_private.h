// The hypervisor writes into a guest's private page through the host kernel's own mapping
// (the direct map, with the host's C-bit) -- the simplest integrity attack: replace a value the
// guest trusts. Verdict: the guest reads the attacker's bytes.
//  - off: the guest's memory is under the host key; the write is the guest's new data.
//  - SEV, SEV-ES: the write lands, but encrypted with the host key; the guest decrypts it with
//    its own key and reads garbage (corruption, not chosen data: blocked as an injection).
//  - SEV-SNP: the RMP's Hypervisor-Owned check on host writes (APM Table 15-39): the store
//    faults with #PF and the RMP bit (error code bit 31) before anything reaches memory; the
//    host kernel would oops. Evidence: the error code, and the guest's bytes unchanged.
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult hv_write_private(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
