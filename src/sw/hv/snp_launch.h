// QEMU's SEV-SNP launch of OVMF (-object sev-snp-guest; target/i386/sev.c: sev_snp_launch_start,
// the pflash queued for snp_launch_update_data, snp_populate_metadata_pages, the kernel hashes
// page, sev_snp_launch_finish; SNP-FACTS.md 2.4, 2.6), over KVM's SNP VM (kvm_sev_snp.h).
//
// Memory: guest RAM at GPA 0 and the flash ending at 4 GiB, both guest_memfd and private from
// the start. The steps come from psp::digest::plan_launch (run_launch_plan): the firmware's
// pages as NORMAL, the SNP metadata sections (SEC_MEM as ZERO, or UNMEASURED for gce; SECRETS;
// CPUID with the table QEMU builds from the guest's CPUID; the kernel hashes page as NORMAL),
// and the vCPUs' VMSAs with SEV_FEATURES SNPActive, which KVM measures at LAUNCH_FINISH.
// A CPUID page the firmware refuses is reported in QEMU's words (one line per corrected entry,
// in cpuid_report()) and the launch fails.
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
#include "sw/hv/launch_sequence.h"
#include "sw/hv/vm_memory.h"

namespace cbit::sw::hv {

struct SnpGuestConfig {
  uint64_t policy = 0x30000;  // QEMU's default
  uint64_t ram_bytes = 16ull << 20;
  std::array<uint8_t, 16> gosvw{};
  KvmSevSnpLaunchFinish finish;  // ID block, ID auth, host data
};

class SnpGuestLaunch final : public LaunchCommands {
 public:
  // `plan`: plan_launch() of the firmware with mode SNP (vCPUs, vCPU type, VMM type, hashes).
  // Throws InputError for an image or RAM size that does not fit.
  SnpGuestLaunch(KvmSev& kvm, const SnpGuestConfig& cfg, const psp::digest::LaunchPlan& plan,
                 ByteSpan firmware, GuestPhysAddr firmware_gpa, std::string firmware_name);
  ~SnpGuestLaunch() override;

  void sev_snp_kvm_init();      // KVM_SEV_INIT2 (KVM_X86_SNP_VM)
  void sev_snp_launch_start();  // KVM_SEV_SNP_LAUNCH_START
  void launch_update(const psp::digest::LaunchStep& step) override;
  void launch_update_vmsas(const std::vector<const psp::digest::LaunchStep*>& steps) override;
  void sev_snp_launch_finish();  // KVM_SEV_SNP_LAUNCH_FINISH
  // All of it, in QEMU's order.
  void launch();

  VmMemory& memory() { return *mem_; }
  KvmSnpVm& vm() { return *vm_; }
  // QEMU's "SEV-SNP: CPUID validation failed ..." lines of a refused CPUID page.
  const std::vector<std::string>& cpuid_report() const { return cpuid_report_; }
  unsigned vcpus() const { return static_cast<unsigned>(vmsa_pages_.size()); }

 private:
  void update(uint64_t gpa, ByteSpan src, uint64_t len, uint8_t type, const char* what);

  KvmSev& kvm_;
  SnpGuestConfig cfg_;
  const psp::digest::LaunchPlan& plan_;
  ByteSpan firmware_;
  std::string firmware_name_;
  std::unique_ptr<VmMemory> mem_;
  std::unique_ptr<KvmSnpVm> vm_;
  std::vector<SevEsVcpu> vcpus_;  // measured at LAUNCH_FINISH
  std::vector<VirtAddr> vmsa_pages_;
  std::vector<std::string> cpuid_report_;
};

}  // namespace cbit::sw::hv
