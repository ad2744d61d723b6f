// A DMA device under the hypervisor's control reads and writes a guest's private page. It may
// put the C-bit on the bus (the host key) or not (memory as stored). Plain VM (guest RAM under the
// host key through the nested C-bit): with the C-bit the device reads the secret and its writes
// become the guest's data. SEV / SEV-ES: DMA never carries a guest's ASID, so the device gets
// guest-key ciphertext (decrypted with the host key: garbage) and the guest reads its writes as
// garbage (APM Vol. 2 §15.34.6: device accesses use the host key or none).
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult dma_private(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
