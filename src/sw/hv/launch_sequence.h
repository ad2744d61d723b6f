// One ordered launch for SEV, SEV-ES and SEV-SNP (STYLE.md: "the SNP launch should not make it
// three"): the VMM walks the psp::digest::LaunchPlan that `cbit measure` also walks, and hands
// each step to the per-mode commands behind LaunchCommands (QEMU target/i386/sev.c: SEV's
// LAUNCH_UPDATE_DATA / LAUNCH_UPDATE_VMSA, SNP's KVM_SEV_SNP_LAUNCH_UPDATE per page type). So
// the pages the Secure Processor measures are, by construction, the pages the predictor
// measures, in the same order.
//
// Order: every non-VMSA step as the plan lists it, then the VMSA steps together (SEV-ES: one
// KVM_SEV_LAUNCH_UPDATE_VMSA over all vCPUs; SNP: KVM measures the VMSAs inside
// KVM_SEV_SNP_LAUNCH_FINISH), which is where the plan puts them.
#pragma once
#include <vector>

#include "psp/digest/launch_plan.h"

namespace cbit::sw::hv {

class LaunchCommands {
 public:
  virtual ~LaunchCommands() = default;
  // A firmware, metadata-section or kernel-hashes step.
  virtual void launch_update(const psp::digest::LaunchStep& step) = 0;
  // The VMSA steps (BSP first; an AP step repeats for step.pages vCPUs).
  virtual void launch_update_vmsas(const std::vector<const psp::digest::LaunchStep*>& steps) = 0;
};

void run_launch_plan(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds);

}  // namespace cbit::sw::hv
