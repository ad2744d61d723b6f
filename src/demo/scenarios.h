// Named machine states for `cbit map` (and anything else that wants a populated machine):
// a host booted in a given mode running a small workload, left as an attacker would find it.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "demo/demo.h"
#include "sw/host/kernel.h"

namespace cbit::demo {

struct World {
  std::unique_ptr<hw::Machine> machine;
  std::unique_ptr<sw::host::HostKernel> kernel;
  std::string description;
  // What else the scenario keeps running (the SNP scenario's PSP driver, KVM and VMs); released
  // before the kernel and the machine.
  std::vector<std::shared_ptr<void>> owned;
  ~World() {
    while (!owned.empty()) owned.pop_back();  // the VMs before KVM before the driver
  }
  World() = default;
  World(World&&) = default;
  World& operator=(World&&) = default;
};

const std::vector<std::string>& scenario_names();
// Throws InputError for an unknown name, a --set out of range (demo/cpu_overrides.h) or a
// model without what the scenario needs (SME for all but "off").
void check_scenario(const std::string& name, const DemoOptions& opt);
// check_scenario, then the machine.
World build_scenario(const std::string& name, const DemoOptions& opt);

}  // namespace cbit::demo
