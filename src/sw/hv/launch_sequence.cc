#include "sw/hv/launch_sequence.h"

namespace cbit::sw::hv {

void run_launch_plan(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds) {
  using Source = psp::digest::LaunchStep::Source;
  std::vector<const psp::digest::LaunchStep*> vmsas;
  for (const auto& s : plan.steps) {
    if (s.source == Source::Vmsa)
      vmsas.push_back(&s);
    else
      cmds.launch_update(s);
  }
  cmds.launch_update_vmsas(vmsas);
}

}  // namespace cbit::sw::hv
