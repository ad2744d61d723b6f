// Builds a memory map of a simulated machine: one PageCell per page of DRAM.
#pragma once
#include <string>

#include "hw/machine.h"
#include "tools/map/page_class.h"

namespace cbit::tools::map {

MapInput classify_machine(hw::Machine& m, std::string title);
// The same, then every page the RMP does not leave to the hypervisor gets its RMP class
// (firmware, VMSA, guest-valid, guest-invalid, per ASID). Without an enabled RMP: the same as
// classify_machine.
MapInput classify_machine_rmp(hw::Machine& m, std::string title);

}  // namespace cbit::tools::map
