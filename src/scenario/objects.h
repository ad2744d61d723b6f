// The objects the basic actions make and keep in the Run, for every group of actions to use:
// a machine (`do = "machine"`), its physical attacker's hands, and a booted host kernel
// (`do = "host-boot"`). Other groups get them with
//   SimMachine& m = machine_arg(args, run);     // key `machine`, else the latest machine
//   SimHost& h = host_arg(args, run);           // key `host`, else the latest host
// Destruction follows the Run's rule (newest first): a host goes before its machine.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attacks/finding.h"
#include "hw/machine.h"
#include "scenario/action.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"
#include "testbed/physical_access.h"

namespace cbit::scenario {

struct SimMachine {
  std::unique_ptr<hw::Machine> machine;
  std::string nvdimm_path;  // the NVDIMM's backing file in the run's workdir; "" without one
  // The physical attacker's interfaces (a DMA device "evil-nic", bus probes, the raw view),
  // made at first use; declared after `machine` so it goes first.
  testbed::PhysicalAccess& physical() {
    if (!physical_) physical_ = std::make_unique<testbed::PhysicalAccess>(*machine, "evil-nic");
    return *physical_;
  }

 private:
  std::unique_ptr<testbed::PhysicalAccess> physical_;
};

struct SimHost {
  SimMachine* machine = nullptr;
  std::unique_ptr<sw::host::HostKernel> kernel;
  std::optional<VirtAddr> pmem;  // the NVDIMM's memremap(), made at its first use
};

// The machine named by `key` ("machine"), or the latest one when the step leaves it out;
// InputError naming the step when there is none.
SimMachine& machine_arg(const Args& args, Run& run, std::string_view key = "machine");
SimHost& host_arg(const Args& args, Run& run, std::string_view key = "host");

// The start of a step's transcript line: "  off.cb: " (case and step id), "  " without either.
inline std::string line_tag(const Run& run) {
  std::string t = run.case_id();
  if (!run.step_id().empty()) t += (t.empty() ? "" : ".") + run.step_id();
  return t.empty() ? "  " : "  " + t + ": ";
}

// The common result of an attack that searches what it saw for the step's `find` strings:
// {"found": hits of all needles, "hits": {needle: count}, "bytes_seen": n}.
nlohmann::json found_json(const attacks::AttackReport& r, const std::vector<std::string>& needles);

}  // namespace cbit::scenario
