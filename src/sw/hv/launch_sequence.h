// One ordered launch for SEV, SEV-ES and SEV-SNP (STYLE.md: "the SNP launch should not make it
// three"). Every launch in cbit — the VMM's OVMF path (SevGuestLaunch, SnpGuestLaunch, used by
// `cbit launch`) and Vm::launch (demo, attacks, guests) — walks a psp::digest::LaunchPlan
// through run_launch_to_measure() and hands each step to the per-mode commands behind
// LaunchCommands (QEMU target/i386/sev.c: SEV's LAUNCH_START / LAUNCH_UPDATE_DATA /
// LAUNCH_UPDATE_VMSA / LAUNCH_MEASURE / LAUNCH_SECRET / LAUNCH_FINISH; SNP's
// KVM_SEV_SNP_LAUNCH_START / LAUNCH_UPDATE per page type / LAUNCH_FINISH). For OVMF the plan is
// the one `cbit measure` walks, so the pages the Secure Processor measures are, by construction,
// the pages the predictor measures, in the same order.
//
// Order: LAUNCH_START; every non-VMSA step as the plan lists it; the VMSA steps together
// (SEV-ES: one KVM_SEV_LAUNCH_UPDATE_VMSA over all vCPUs; SNP: KVM measures the VMSAs inside
// KVM_SEV_SNP_LAUNCH_FINISH), which is where the plan puts them; LAUNCH_MEASURE (SEV / SEV-ES:
// the 48-byte blob the owner checks; SNP: nothing, the digest is the firmware's at FINISH and in
// the attestation report). The caller then lets the owner decide, injects a secret (SEV) and
// calls launch_finish().
//
// Errors: the commands throw KvmError (sev_launch.h) with KVM's -errno and the firmware status.
#pragma once
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"
#include "psp/digest/launch_plan.h"

namespace cbit::sw::hv {

class LaunchCommands {
 public:
  virtual ~LaunchCommands() = default;
  virtual void launch_start() = 0;
  // A firmware, metadata-section or kernel-hashes step.
  virtual void launch_update(const psp::digest::LaunchStep& step) = 0;
  // The VMSA steps (BSP first; a repeated step stands for step.pages vCPUs).
  virtual void launch_update_vmsas(const std::vector<const psp::digest::LaunchStep*>& steps) = 0;
  // SEV / SEV-ES: LAUNCH_MEASURE's measurement || MNONCE (48 bytes). SNP: empty.
  virtual Bytes launch_measure() = 0;
  // SEV / SEV-ES: KVM_SEV_LAUNCH_SECRET. SNP has no such command (InputError).
  virtual void launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa) = 0;
  virtual void launch_finish() = 0;
};

// The plan's non-VMSA steps in order, then its VMSA steps together.
void run_launch_plan(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds);
// launch_start, run_launch_plan, launch_measure: everything before the owner's decision.
Bytes run_launch_to_measure(const psp::digest::LaunchPlan& plan, LaunchCommands& cmds);
// What the plan measures, in order (one entry per vCPU for a repeated VMSA step): what a guest
// owner recomputes the SEV digest over.
std::vector<ByteSpan> measured_pages(const psp::digest::LaunchPlan& plan);

}  // namespace cbit::sw::hv
