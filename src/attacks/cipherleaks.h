// CipherLeaks (Li et al., USENIX Security 2021): under SEV-ES the hypervisor cannot read the
// guest's registers, but it can read the VMSA's ciphertext in DRAM at every automatic exit. The
// encryption is deterministic for a fixed system address (XEX with an address tweak), so the
// 16-byte block holding RAX (VMSA offset 0x1F0..0x1FF) has the same ciphertext whenever RAX (and
// its neighbour) are the same. With one known plaintext (RAX at the first exit), comparing
// ciphertexts gives away a bit the guest holds in RAX at each exit.
//
// The guest processes its secret one bit per exit with the bit in RAX at HLT. Under "off" and SEV
// the hypervisor simply reads RAX (KVM_GET_REGS, the VMCB). Control: a second VM's VMSA (another
// address and another key) gives a different ciphertext for the same RAX, so it is the
// determinism at one address that leaks. AMD's fix is SEV-SNP's ciphertext hiding on newer parts
// and re-encryption with varying tweaks; not modelled.
#pragma once
#include <cstdint>

#include "attacks/attacker.h"
#include "attacks/sev_attack.h"

namespace cbit::attacks {

inline constexpr uint64_t kCipherLeaksRaxBlock = 0x1F0;  // VMSA: 0x1F0 (unused here) | RAX
inline constexpr unsigned kCipherLeaksBits = 32;

// Which automatic exit the hypervisor observes at:
//  - Hlt: the guest exits at HLT after each bit (it cooperates in exiting);
//  - Npf: the guest never exits on its own; it processes all bits in one run, touching one of
//    two data pages per bit. The hypervisor unmaps both pages, and at each #NPF maps the faulting
//    one and unmaps the other, so every step faults (a controlled channel, as in the paper).
enum class CipherLeaksExit { Hlt, Npf };

// `secret`: the bits the guest processes (low kCipherLeaksBits bits).
SevAttackResult cipherleaks(HostAttacker& attacker, SevMode mode, uint64_t secret = 0xC0DEB5A3,
                            CipherLeaksExit via = CipherLeaksExit::Hlt);

}  // namespace cbit::attacks
