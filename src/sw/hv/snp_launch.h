// QEMU's SEV-SNP launch of OVMF (-object sev-snp-guest; target/i386/sev.c: sev_snp_launch_start,
// the pflash queued for snp_launch_update_data, snp_populate_metadata_pages, the kernel hashes
// page, sev_snp_launch_finish; SNP-FACTS.md 2.4, 2.6), over KVM's SNP VM (kvm_sev_snp.h).
//
// Memory: guest RAM at GPA 0 and the flash ending at 4 GiB, both guest_memfd and private from
// the start. The steps come from psp::digest::plan_launch and go through run_launch_to_measure()
// with SnpLaunchCommands (snp_launch_commands.h), the sequence and commands Vm::launch uses: the
// firmware's pages as NORMAL, the SNP metadata sections (SEC_MEM as ZERO, or UNMEASURED for
// gce; SECRETS; CPUID with the table QEMU builds from the guest's CPUID; the kernel hashes page
// as NORMAL), and the vCPUs' VMSAs with SEV_FEATURES SNPActive, which KVM measures at
// LAUNCH_FINISH. The metadata pages are what OVMF hands the guest kernel in the CC blob
// (snp_cc_blob()). A CPUID page the firmware refuses is reported in QEMU's words (one line per
// corrected entry, in cpuid_report()) and the launch fails.
//
// Errors: KvmError (sev_launch.h) with KVM's -errno and the firmware's status.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "psp/digest/launch_plan.h"
#include "sw/hv/kvm_sev_snp.h"
#include "sw/hv/snp_launch_commands.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

struct SnpGuestConfig {
  uint64_t policy = 0x30000;  // QEMU's default
  uint64_t ram_bytes = 16ull << 20;
  std::array<uint8_t, 16> gosvw{};
  KvmSevSnpLaunchFinish finish;  // ID block, ID auth, host data
};

class SnpGuestLaunch {
 public:
  // `plan`: plan_launch() of the firmware with mode SNP (vCPUs, vCPU type, VMM type, hashes).
  // Throws InputError for an image or RAM size that does not fit.
  SnpGuestLaunch(KvmSev& kvm, const SnpGuestConfig& cfg, const psp::digest::LaunchPlan& plan,
                 ByteSpan firmware, GuestPhysAddr firmware_gpa, std::string firmware_name);
  ~SnpGuestLaunch();

  void sev_snp_kvm_init();       // KVM_SEV_INIT2 (KVM_X86_SNP_VM)
  void sev_snp_launch_start();   // KVM_SEV_SNP_LAUNCH_START
  void sev_snp_launch_finish();  // KVM_SEV_SNP_LAUNCH_FINISH
  // All of it, in QEMU's order.
  void launch();

  VmMemory& memory() { return *mem_; }
  // The per-step commands (for a caller that walks the plan itself).
  SnpLaunchCommands& commands() { return *cmds_; }
  KvmSnpVm& vm() { return *vm_; }
  // QEMU's "SEV-SNP: CPUID validation failed ..." lines of a refused CPUID page.
  const std::vector<std::string>& cpuid_report() const { return cmds_->cpuid_report(); }
  unsigned vcpus() const { return static_cast<unsigned>(vmsa_pages_.size()); }
  // VMSA page of vCPU i (valid after launch()).
  const std::vector<VirtAddr>& vmsa_pages() const { return vmsa_pages_; }
  // The SNP metadata pages launched into RAM, as OVMF's CC blob tells the guest kernel.
  SnpCcBlob snp_cc_blob() const { return cmds_->cc_blob(); }
  const std::vector<SnpRamPages>& ram_pages() const { return cmds_->ram_pages(); }

 private:
  VirtAddr vmsa_page(uint64_t vcpu);

  KvmSev& kvm_;
  SnpGuestConfig cfg_;
  const psp::digest::LaunchPlan& plan_;
  ByteSpan firmware_;
  std::string firmware_name_;
  std::unique_ptr<VmMemory> mem_;
  std::unique_ptr<KvmSnpVm> vm_;
  std::vector<VirtAddr> vmsa_pages_;
  std::unique_ptr<SnpLaunchCommands> cmds_;
};

}  // namespace cbit::sw::hv
