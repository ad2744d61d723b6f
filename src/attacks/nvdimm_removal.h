// NVDIMM removal (seed 000): the module is pulled from the machine and its cells are read
// elsewhere. The attacker gets the backing file's bytes and nothing else.
#pragma once
#include <string>
#include <vector>

#include "attacks/finding.h"

namespace cbit::attacks {

// Reads the removed module's image (the NVDIMM's backing file) and searches it.
// Throws InputError naming the file if it cannot be read.
AttackReport nvdimm_removal(const std::string& module_image,
                            const std::vector<std::string>& needles);

}  // namespace cbit::attacks
