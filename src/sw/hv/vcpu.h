// One KVM vCPU on AMD SVM (Linux arch/x86/kvm/svm/svm.c, sev.c): its VMCB, the permission maps,
// the run loop (svm_vcpu_run / KVM_RUN) and the exit handlers (svm_exit_handlers[]), including
// SEV-ES's VMGEXIT with the GHCB and its MSR protocol (sev_handle_vmgexit).
//
// Registers as KVM holds them: vcpu->arch.regs, synchronised with the VMCB's RAX/RSP/RIP at every
// exit and entry. Under SEV-ES the guest's state is protected: KVM_GET_REGS / KVM_SET_REGS fail
// with -EINVAL, and all the hypervisor gets is what the guest puts into the GHCB.
#pragma once
#include <cstdint>
#include <map>
#include <optional>

#include "common/addr.h"
#include "hw/cpu/cpuid.h"
#include "hw/cpu/regs.h"
#include "hw/rmp/rmp_entry.h"
#include "hw/svm/guest_software.h"

namespace cbit::sw::hv {

class Vm;

// The vCPU's state at the first VMRUN: where a boot loader leaves a kernel (32-bit protected
// mode, paging off, EFER.SVME as SVM requires) at the kernel entry point.
inline constexpr uint64_t kEntryCr0 = 0x11;  // PE | ET
inline constexpr uint64_t kEntryRip = 0x100000;

class Vcpu final : public hw::svm::VmExitHandler {
 public:
  Vcpu(Vm& vm, unsigned id);
  ~Vcpu() override;
  Vcpu(const Vcpu&) = delete;
  Vcpu& operator=(const Vcpu&) = delete;

  // KVM_RUN: VMRUN until an exit the kernel does not handle itself (HLT with nothing to do,
  // SHUTDOWN, VMEXIT_INVALID, a GHCB termination request, an #NPF nobody resolves).
  hw::svm::VmExit run(hw::svm::GuestSoftware& guest);

  // KVM_GET_REGS / KVM_SET_REGS: 0, or -EINVAL when the guest state is protected (SEV-ES).
  int get_regs(hw::GprFile* out) const;
  int set_regs(const hw::GprFile& in);

  unsigned id() const { return id_; }
  // SEV-ES and SEV-SNP: registers in the encrypted VMSA (vcpu->arch.guest_state_protected).
  bool guest_state_protected() const;
  // The VMCB page (host kernel memory) and, for SEV-ES, the VMSA page.
  VirtAddr vmcb() const { return vmcb_; }
  std::optional<VirtAddr> vmsa() const { return vmsa_; }
  SysPhysAddr vmsa_pa() const;
  // Exit counts by exit code, and the number of VMGEXITs by their GHCB exit code.
  const std::map<uint64_t, uint64_t>& exits() const { return exits_; }
  const std::map<uint64_t, uint64_t>& vmgexits() const { return vmgexits_; }
  std::optional<uint64_t> ghcb_gpa() const { return ghcb_gpa_; }
  const hw::svm::VmExit& last_exit() const { return last_; }
  // SEV-SNP: the GPA of the VMSA an AP creation request gave this vCPU, and the RMP #NPFs the
  // hypervisor resolved (PSMASH, conversions).
  std::optional<uint64_t> snp_vmsa_gpa() const { return snp_vmsa_gpa_; }
  uint64_t rmp_faults() const { return rmp_faults_; }
  // PSMASHes this vCPU's exits did (an RMP #NPF with SIZEM, a PSC inside a 2 MiB entry).
  uint64_t rmp_psmashes() const { return rmp_psmashes_; }
  // SNP guest requests this vCPU passed to the firmware.
  uint64_t guest_requests() const { return guest_requests_; }

  bool handle_exit(hw::Cpu& cpu, const hw::svm::VmExit& exit) override;

 private:
  friend class Vm;
  void init_vmcb();
  uint64_t vmcb_read(uint64_t off) const;
  void vmcb_write(uint64_t off, uint64_t value);
  void regs_to_vmcb();
  // The guest's CPUID as QEMU configures it for this VM (-cpu EPYC + sev-guest object).
  hw::CpuidResult guest_cpuid(uint32_t leaf, uint32_t subleaf) const;
  uint64_t guest_msr_read(uint32_t index) const;
  // Port I/O; returns the value for IN.
  uint32_t pio(uint16_t port, unsigned size, bool in, uint32_t value);
  // KVM hypercalls (kvm_emulate_hypercall).
  uint64_t hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
  bool handle_npf(uint64_t gpa, uint64_t info1);
  bool handle_vmgexit(hw::Cpu& cpu);
  bool vmgexit_msr_protocol(uint64_t msr);
  bool vmgexit_ghcb(uint64_t gpa);

  // SEV-SNP (vcpu_snp.cc).
  struct SnpPages;
  bool snp_active() const;
  uint64_t hv_features() const;
  std::optional<hw::rmp::RmpEntry> rmp_entry(SysPhysAddr spa) const;
  uint64_t snp_page_state_change(uint64_t gfn, bool to_private);
  std::optional<uint64_t> snp_msr_protocol(uint64_t msr);
  uint64_t snp_psc_nae(uint8_t* ghcb_page, uint64_t ghcb_gpa);
  uint64_t snp_ap_creation(uint64_t info1, uint64_t vmsa_gpa, uint64_t sev_features);
  bool snp_handle_npf(uint64_t gpa, uint64_t info1);
  // Guest requests (vcpu_snp_guest_req.cc): SW_EXITINFO2 for the guest, or nullopt when KVM
  // exits to userspace with an error (a request or response GPA it cannot read or write).
  std::optional<uint64_t> snp_handle_guest_req(uint64_t req_gpa, uint64_t rsp_gpa);
  // The extended request: RAX = certificate buffer GPA, RBX = its pages (RBX rewritten with the
  // pages needed when they are too few). `ghcb` is KVM's copy of the guest's GHCB page.
  std::optional<uint64_t> snp_handle_ext_guest_req(uint8_t* ghcb, uint64_t req_gpa,
                                                   uint64_t rsp_gpa, uint64_t* ghcb_err);

  Vm& vm_;
  unsigned id_;
  VirtAddr vmcb_, msrpm_;
  std::optional<VirtAddr> vmsa_;
  hw::GprFile regs_;  // vcpu->arch.regs
  bool regs_valid_ = false;
  std::optional<uint64_t> ghcb_gpa_;  // registered through the MSR protocol
  bool terminated_ = false;
  std::optional<uint64_t> snp_vmsa_gpa_;
  uint64_t rmp_faults_ = 0, rmp_psmashes_ = 0, guest_requests_ = 0;
  std::map<uint64_t, uint64_t> exits_, vmgexits_;
  hw::svm::VmExit last_;
};

}  // namespace cbit::sw::hv
