// A virtual machine as KVM and QEMU make it (Linux virt/kvm/kvm_main.c, arch/x86/kvm/svm/;
// QEMU's pc machine with -object sev-guest): guest RAM in memslots, the nested page tables, the
// vCPUs, the devices, and for SEV / SEV-ES guests the launch through the PSP driver.
//
// SEV-SNP (SevMode::Snp): KVM_SEV_INIT2 with KVM_X86_SNP_VM, guest memory in guest_memfd and
// private (not mapped into the host), KVM_SEV_SNP_LAUNCH_START, the firmware's pages through
// KVM_SEV_SNP_LAUNCH_UPDATE, and KVM_SEV_SNP_LAUNCH_FINISH, which measures the VMSAs.
//
// Guest RAM (SEV, SEV-ES, plain) is QEMU's anonymous memory, faulted in on first use: the nested
// tables start empty, the guest's first access to a page exits with #NPF (not present) and KVM
// faults the page in (the host kernel clears it) and maps it; QEMU's own first touch (an image it
// loads, KVM pinning pages for LAUNCH_UPDATE_DATA) faults the page in without mapping it. A page
// nobody touched has no backing, and reads as zeros in the hypervisor's view (the zero page).
//
// Launch order (QEMU sev_launch_*; KVM sev.c): KVM_SEV_INIT or KVM_SEV_ES_INIT (an ASID),
// LAUNCH_START (+ ACTIVATE), LAUNCH_UPDATE_DATA over the firmware, LAUNCH_UPDATE_VMSA (SEV-ES),
// LAUNCH_MEASURE (the guest owner checks it), optionally LAUNCH_SECRET, LAUNCH_FINISH.
// Only then does VMRUN accept the guest: the CPU asks the Secure Processor whether the ASID is
// runnable.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/svm/guest_software.h"
#include "psp/digest/launch_plan.h"
#include "sw/hv/devices.h"
#include "sw/hv/kvm_sev.h"
#include "sw/hv/kvm_sev_snp.h"
#include "sw/hv/npt.h"
#include "sw/hv/snp_cc_blob.h"
#include "sw/hv/vcpu.h"
#include "sw/hv/vm_memory.h"

namespace cbit::hw {
class Machine;
}
namespace cbit::sw::host {
class HostKernel;
}

namespace cbit::sw::hv {

enum class SevMode { None, Sev, SevEs, Snp };
const char* sev_mode_name(SevMode m);  // "off", "SEV", "SEV-ES", "SEV-SNP"

struct VmConfig {
  SevMode mode = SevMode::Sev;
  uint64_t ram_bytes = 32ull << 20;
  unsigned vcpus = 1;
  // Guest policy for LAUNCH_START (SEV-API; ES guests need bit 2).
  uint32_t policy = 0;
  // SEV-SNP guest policy for SNP_LAUNCH_START (QEMU's default 0x30000: SMT allowed, bit 17).
  uint64_t snp_policy = 0x30000;
  KvmSevSnpLaunchFinish snp_finish;  // ID block, ID auth, host data
  // The firmware image (e.g. Debian's OVMF.fd), mapped read-only just below 4 GiB and measured:
  // `firmware`, or, when that is empty, `firmware_view`: bytes the caller keeps alive and
  // unchanged for the Vm's life (cbit launch's mapped file, not copied).
  Bytes firmware;
  ByteSpan firmware_view;
  ByteSpan firmware_image() const { return firmware.empty() ? firmware_view : ByteSpan(firmware); }
  Bytes disk;  // cbit-blk contents (make_cbit_disk)
  // QEMU's sev-guest reduced-phys-bits (seed 004: cbitpos=47,reduced-phys-bits=1), reported
  // to the guest in CPUID Fn8000_001F EBX[11:6].
  unsigned reduced_phys_bits = 1;
  // SEV-SNP: SEV_FEATURES bits the guest owner asks for beyond SNPActive (QEMU's sev-snp-guest
  // "sev-features"; e.g. hw::svm::sev_features::kRestrictedInjection), written into every
  // vCPU's VMSA before it is measured.
  uint64_t sev_features = 0;
  // SEV-SNP extended guest requests: the certificate table the VMM answers
  // KVM_EXIT_SNP_REQ_CERTS with (psp/snp/cert_table.h layout: VCEK, ASK, ARK as the host
  // fetched them from the KDS). Empty: KVM's stub, an empty table (the 24-byte terminator).
  Bytes snp_certs;
};

// The guest owner's part of a launch (sw/owner/ implements it for real).
class LaunchOwner {
 public:
  virtual ~LaunchOwner() = default;
  virtual std::optional<SevSessionBlobs> session() = 0;
  // The 48 bytes of LAUNCH_MEASURE; true = go on. `pages`: what was measured, in order.
  virtual bool verify(ByteSpan measure, const std::vector<ByteSpan>& pages) = 0;
  // A secret to inject (header, data) and its guest-physical address, or nothing.
  virtual std::optional<std::pair<std::pair<Bytes, Bytes>, GuestPhysAddr>> secret() {
    return std::nullopt;
  }
};

struct LaunchResult {
  int rc = 0;        // 0 or -errno
  int fw_error = 0;  // the firmware's status for a failed command
  std::string step;  // the step that failed
  Bytes measure;     // LAUNCH_MEASURE's 48 bytes
  bool owner_ok = false;
  // SEV-SNP: QEMU's "SEV-SNP: CPUID validation failed ..." lines of a refused CPUID page.
  std::vector<std::string> cpuid_report;
};

class Vm {
 public:
  // `sev`: the module-wide SEV state (nullptr for a plain VM).
  Vm(hw::Machine& machine, host::HostKernel& kernel, KvmSev* sev, VmConfig cfg);
  ~Vm();
  Vm(const Vm&) = delete;
  Vm& operator=(const Vm&) = delete;

  // The SEV launch (no-op for SevMode::None). The owner may be nullptr (nobody checks).
  // `plan`: what to launch, e.g. psp::digest::plan_launch() of an OVMF image as `cbit measure`
  // predicts it (the firmware at its GPA, the SNP metadata pages, the VMSAs with OVMF's reset
  // state); its VMSA steps must name exactly config().vcpus vCPUs and its pages must lie in
  // guest memory (else InputError). Without one, launch_plan(): the VM's own firmware slot and
  // VMSAs holding the guest kernel's entry state.
  LaunchResult launch(LaunchOwner* owner, const psp::digest::LaunchPlan* plan = nullptr);

  // KVM_RUN on vCPU `id` with `guest` as the code inside it.
  hw::svm::VmExit run(hw::svm::GuestSoftware& guest, unsigned id = 0);

  const VmConfig& config() const { return cfg_; }
  hw::Machine& machine() { return m_; }
  host::HostKernel& kernel() { return k_; }
  VmMemory& memory() { return *mem_; }
  NestedPageTables& npt() { return *npt_; }
  KvmSevVm* sev() { return sev_vm_.get(); }
  KvmSnpVm* snp() { return snp_vm_.get(); }
  Vcpu& vcpu(unsigned id = 0) { return *vcpus_.at(id); }
  // The I/O permission map every vCPU's VMCB points at (IOPM_BASE_PA): KVM has one for the
  // module, 12 KiB of ones (every port intercepted, svm_hardware_setup), shared by all vCPUs of
  // all guests; here one per VM, shared by its vCPUs.
  VirtAddr iopm() const { return iopm_; }
  unsigned asid() const { return asid_; }
  SerialConsole& console() { return console_; }
  CbitBlk& blk() { return *blk_; }
  const MemSlot& ram() const { return mem_->slots().front(); }
  // Guest frames the guest declared shared (KVM_HC_MAP_GPA_RANGE).
  const std::set<uint64_t>& shared_gfns() const { return shared_gfns_; }
  // SEV-SNP: what the launch placed in guest RAM for the guest kernel (empty before launch()).
  const SnpCcBlob& snp_cc_blob() const { return snp_cc_blob_; }

  // An attacker's (or a test's) hook on #NPF: return true after fixing the mapping to resume.
  // It is asked first; when it declines (false), KVM's own fault handling runs (tdp_page_fault),
  // and an #NPF neither resolves goes to the run loop.
  std::function<bool(Vcpu&, uint64_t gpa, uint64_t info1)> on_npf;
  // Guest pages KVM faulted in and mapped on a not-present #NPF (SEV, SEV-ES and plain VMs).
  uint64_t tdp_faults() const { return tdp_faults_; }
  // A hostile hypervisor's hooks on SNP guest requests (vcpu_snp_guest_req.cc): the request page
  // as KVM copied it from the guest, before the firmware sees it, and the response page before
  // KVM copies it back. Both hold ciphertext only.
  std::function<void(MutByteSpan request)> on_guest_request;
  std::function<void(MutByteSpan response)> on_guest_response;

  static constexpr uint64_t k4GiB = 1ull << 32;

 private:
  friend class Vcpu;
  // KVM's #NPF handler for a not-present nested entry (arch/x86/kvm/mmu/mmu.c
  // kvm_tdp_page_fault, tdp_mmu.c kvm_tdp_mmu_map): a GPA in a memslot gets its page faulted in
  // (get_user_pages on QEMU's anonymous memory: allocated and cleared on first touch) and a
  // nested leaf; true = resume the guest. False for an SNP VM (its RAM is mapped up front and
  // its faults are the RMP's), a present leaf (a protection fault) or a GPA in no memslot.
  bool tdp_page_fault(uint64_t gpa, uint64_t error_code);
  psp::digest::LaunchPlan launch_plan() const;
  void check_plan(const psp::digest::LaunchPlan& plan) const;
  hw::Machine& m_;
  host::HostKernel& k_;
  KvmSev* kvm_sev_;
  VmConfig cfg_;
  std::unique_ptr<VmMemory> mem_;
  std::unique_ptr<NestedPageTables> npt_;
  std::unique_ptr<KvmSevVm> sev_vm_;
  std::unique_ptr<KvmSnpVm> snp_vm_;
  VirtAddr iopm_;  // order 2 (freed after the vCPUs)
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  unsigned asid_ = 0;
  SerialConsole console_;
  std::unique_ptr<CbitBlk> blk_;
  std::set<uint64_t> shared_gfns_;
  SnpCcBlob snp_cc_blob_;
  uint64_t tdp_faults_ = 0;
};

}  // namespace cbit::sw::hv
