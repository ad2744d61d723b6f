#include "sw/hv/launch_sequence.h"

namespace cbit::sw::hv {

using Source = psp::digest::LaunchStep::Source;

void run_launch_plan(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds) {
  std::vector<const psp::digest::LaunchStep*> vmsas;
  for (const auto& s : plan.steps) {
    if (s.source == Source::Vmsa)
      vmsas.push_back(&s);
    else
      cmds.launch_update(s);
  }
  cmds.launch_update_vmsas(vmsas);
}

Bytes run_launch_to_measure(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds) {
  cmds.launch_start();
  run_launch_plan(plan, cmds);
  return cmds.launch_measure();
}

std::vector<ByteSpan> measured_pages(const psp::digest::LaunchPlan& plan) {
  std::vector<ByteSpan> out;
  std::vector<const psp::digest::LaunchStep*> vmsas;
  for (const auto& s : plan.steps) {
    if (s.source == Source::Vmsa)
      vmsas.push_back(&s);
    else
      out.push_back(s.data);
  }
  for (const auto* s : vmsas)
    for (uint64_t i = 0; i < (s->repeat ? s->pages : 1); ++i) out.push_back(s->data);
  return out;
}

}  // namespace cbit::sw::hv
