// SEV and SEV-ES's LaunchCommands (launch_sequence.h) over KVM's SEV VM (kvm_sev.h), as QEMU
// issues them (target/i386/sev.c): KVM_SEV_LAUNCH_START (+ ACTIVATE) with the owner's session
// blobs, KVM_SEV_LAUNCH_UPDATE_DATA per step (the firmware already in guest memory, where the
// VMM loaded it; a kernel-hashes table written to its GPA first), KVM_SEV_LAUNCH_UPDATE_VMSA
// over every vCPU (SEV-ES; each VMSA page written from the step's bytes), KVM_SEV_LAUNCH_MEASURE
// (twice: the length, then the blob), KVM_SEV_LAUNCH_SECRET, KVM_SEV_LAUNCH_FINISH.
// Used by both SevGuestLaunch (`cbit launch`) and Vm::launch. Errors: KvmError.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "sw/hv/kvm_sev.h"
#include "sw/hv/launch_sequence.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

class SevLaunchCommands final : public LaunchCommands {
 public:
  using Session = std::function<std::optional<SevSessionBlobs>()>;
  // `vmsa_page(i)`: vCPU i's VMSA page (svm_vcpu_create's), asked for SEV-ES only.
  SevLaunchCommands(KvmSevVm& vm, VmMemory& mem, uint32_t policy, Session session,
                    std::function<VirtAddr(uint64_t)> vmsa_page);

  void launch_start() override;
  void launch_update(const psp::digest::LaunchStep& step) override;
  void launch_update_vmsas(const std::vector<const psp::digest::LaunchStep*>& steps) override;
  Bytes launch_measure() override;
  void launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa) override;
  void launch_finish() override;

 private:
  KvmSevVm& vm_;
  VmMemory& mem_;
  uint32_t policy_;
  Session session_;
  std::function<VirtAddr(uint64_t)> vmsa_page_;
};

}  // namespace cbit::sw::hv
