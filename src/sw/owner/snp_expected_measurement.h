// The MEASUREMENT a relying party expects: the SNP launch digest (SNP ABI §8.17.2;
// psp/digest/snp_launch_digest.h) of the launch plan the guest's owner meant the host to run,
// the same value `cbit measure --mode snp` prints for that OVMF and configuration
// (tools/measure runs the same plan; the tests check both agree).
#pragma once
#include <array>

#include "psp/digest/launch_plan.h"

namespace cbit::sw::owner {

std::array<uint8_t, 48> expected_snp_measurement(const psp::digest::LaunchPlan& plan);

}  // namespace cbit::sw::owner
