// Ciphertext replay: the hypervisor copies the raw ciphertext of a private page out of DRAM (a
// DMA device without the C-bit), lets the guest update the page ("balance=100" -> "balance=0"),
// and writes the old ciphertext back. The encryption is deterministic with a tweak of the system
// address and no integrity (APM Vol. 2 §15.34; SEV-SNP whitepaper, "replay protection"), so the
// guest decrypts its old value. Control: the same ciphertext written to another frame decrypts
// to garbage (the tweak binds it to its address).
#pragma once
#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

SevAttackResult ciphertext_replay(HostAttacker& attacker, SevMode mode);

}  // namespace cbit::attacks
