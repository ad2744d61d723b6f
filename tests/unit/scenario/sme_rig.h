// A Run holding what the `machine` and `host-boot` steps make (an hw::Machine and a booted
// sw::host::HostKernel, under "m" and "h"), so the SME and DMA actions are tested directly with
// JsonArgs, the real machine underneath.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "demo/cpu_overrides.h"
#include "hw/machine.h"
#include "scenario/action.h"
#include "scenario/json_args.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

void add_sme_actions(std::vector<Action>& out);
void add_smetest_actions(std::vector<Action>& out);
void add_dma_actions(std::vector<Action>& out);

namespace testutil {

struct SmeRig {
  // `seed` 0: no seed (the OS RNG, as a real part at each reset).
  explicit SmeRig(const std::string& cmdline, uint64_t swiotlb = 1ull << 20,
                  const std::string& cpu = "naples", uint64_t seed = 7,
                  const std::vector<std::string>& overrides = {})
      : run(RunOptions{}) {
    hw::MachineConfig cfg;
    cfg.cpu = demo::resolve_cpu_model(cpu, overrides);
    cfg.dram_bytes = 64ull << 20;
    if (seed) cfg.seed = seed;
    machine = &run.put("m", std::make_shared<hw::Machine>(cfg));
    host = &run.put("h", std::make_shared<sw::host::HostKernel>(
                             *machine, sw::host::KernelConfig{cmdline, false, swiotlb}));
    host->boot();
    add_sme_actions(actions);
    add_smetest_actions(actions);
    add_dma_actions(actions);
  }
  // Runs action `name` with these keys, as a step of a scenario file would.
  // An "id" among the keys is the step's id, as the engine passes it (Run::begin_step).
  nlohmann::json step(const std::string& name, nlohmann::json keys) {
    std::string id;
    if (keys.is_object() && keys.contains("id")) {
      id = keys["id"].get<std::string>();
      keys.erase("id");
    }
    run.begin_step("", id, "test.toml:1:1 (step " + name + ")");
    for (const auto& a : actions)
      if (a.name == name) return a.run(JsonArgs(std::move(keys), "test.toml:1:1"), run);
    throw std::logic_error("no action " + name);
  }
  // flush-caches: WBINVD, the data reaches the DIMMs.
  void flush() { machine->cache().wbinvd(); }
  bool said(const std::string& text) const {
    for (const auto& l : run.lines())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  Run run;
  std::vector<Action> actions;
  hw::Machine* machine = nullptr;
  sw::host::HostKernel* host = nullptr;
};

}  // namespace testutil
}  // namespace cbit::scenario
