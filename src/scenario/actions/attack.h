// The attacker's and the relying party's groups of scenario actions (scenario/actions.cc lists
// them in doc order; tests call them directly):
//  - add_attack_actions: `attack`, `attack-matrix` (actions/attack.cc): the malicious
//    hypervisor's attacks of `cbit attack`, one cell or the whole matrix;
//  - add_attest_actions: `snp-platform`, `attest-guest`, `relying-party`, `attest`,
//    `attest-attack` (actions/attest.cc): SEV-SNP attestation on a live OVMF guest, step by step,
//    and the host's attacks on it.
#pragma once
#include <vector>

#include "scenario/action.h"

namespace cbit::scenario {

void add_attack_actions(std::vector<Action>& out);
void add_attest_actions(std::vector<Action>& out);

}  // namespace cbit::scenario
