// A Run holding what the `machine` and `host-boot` steps make (a SimMachine and a SimHost with
// its kernel booted, under "m" and "h"; scenario/objects.h), so the SME and DMA actions are tested
// directly with JsonArgs, the real machine underneath.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "hw/machine.h"
#include "scenario/action.h"
#include "scenario/json_args.h"
#include "scenario/objects.h"
#include "scenario/run.h"
#include "sw/host/kernel.h"

namespace cbit::scenario {

namespace testutil {

// The engine's own `machine` and `host-boot` actions build the machine ("m") and boot its host
// ("h"); the rig keeps plain pointers to them for the tests' own looks at DRAM.
struct SmeRig {
  // `seed` 0: no seed (the OS RNG, as a real part at each reset).
  explicit SmeRig(const std::string& cmdline, uint64_t swiotlb = 1ull << 20,
                  const std::string& cpu = "naples", uint64_t seed = 7,
                  const std::vector<std::string>& overrides = {})
      : run(options(seed)) {
    step("machine", {{"id", "m"}, {"cpu", cpu}, {"dram", "64M"}, {"set", overrides}});
    step("host-boot", {{"id", "h"}, {"cmdline", cmdline}, {"swiotlb", swiotlb}});
    auto* h = run.latest<SimHost>();
    host = h->kernel.get();
    machine = h->machine->machine.get();
  }
  static RunOptions options(uint64_t seed) {
    RunOptions o;
    if (seed) o.seed = seed;
    return o;
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
    const Action* a = find_action(name);
    if (!a) throw std::logic_error("no action " + name);
    const JsonArgs args(std::move(keys), "test.toml:1:1");
    if (a->check) a->check(args);  // the parser's pass before anything runs
    return a->run(args, run);
  }
  // flush-caches: WBINVD, the data reaches the DIMMs.
  void flush() { machine->cache().wbinvd(); }
  bool said(const std::string& text) const {
    for (const auto& l : run.lines())
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
  Run run;
  hw::Machine* machine = nullptr;
  sw::host::HostKernel* host = nullptr;
};

}  // namespace testutil
}  // namespace cbit::scenario
