// Runs the attacks of attacks/sev_matrix.h: each on a fresh SevHost with the same seed, the
// attack given only the host's attacker() interfaces.
#pragma once
#include <vector>

#include "attacks/sev_matrix.h"

namespace cbit::testbed {

// One attack in one mode on a fresh host. Failures to set up (e.g. no SEV-ES on the CPU model)
// come back as Verdict::Error with the reason in `detail`; InputError (e.g. --cpu) propagates.
// The host is the attack's own platform (SevAttackInfo::platform) plus `extra`.
attacks::SevAttackResult run_sev_attack(const attacks::SevAttackInfo& a, attacks::SevMode mode,
                                        const attacks::MatrixOptions& opt,
                                        const attacks::Platform& extra = {});

std::vector<attacks::MatrixRow> run_sev_attack_matrix(const attacks::MatrixOptions& opt);
// Each SNP variant's attack in SNP mode, without and with the mitigation.
std::vector<attacks::VariantRow> run_snp_variants(const attacks::MatrixOptions& opt);

}  // namespace cbit::testbed
