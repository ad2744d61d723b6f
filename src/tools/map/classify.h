// Builds a memory map of a simulated machine: one PageCell per page of DRAM.
#pragma once
#include <string>

#include "hw/machine.h"
#include "tools/map/page_class.h"

namespace cbit::tools::map {

MapInput classify_machine(hw::Machine& m, std::string title);

}  // namespace cbit::tools::map
