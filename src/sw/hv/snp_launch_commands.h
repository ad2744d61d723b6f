// SEV-SNP's LaunchCommands (launch_sequence.h) over KVM's SNP VM (kvm_sev_snp.h), as QEMU
// issues them (target/i386/sev.c: sev_snp_launch_start, snp_launch_update_data for the flash,
// snp_populate_metadata_pages, the kernel hashes page, sev_snp_launch_finish; SNP-FACTS.md 2.4,
// 2.6): KVM_SEV_SNP_LAUNCH_START; KVM_SEV_SNP_LAUNCH_UPDATE per step with the step's page type
// (NORMAL from the step's bytes, ZERO, UNMEASURED, SECRETS filled by the firmware, CPUID with
// the table QEMU builds from the guest's CPUID, sev_snp_cpuid_info_fill); the VMSAs written from
// the steps' bytes and measured by KVM inside KVM_SEV_SNP_LAUNCH_FINISH.
// Used by both SnpGuestLaunch (`cbit launch --mode snp`) and Vm::launch, so both place the SNP
// metadata pages the same way and both hand the guest the same CC blob (snp_cc_blob.h).
// A CPUID page the firmware refuses is reported in QEMU's words (cpuid_report()).
// Errors: KvmError; InputError for a step of a type QEMU does not launch; SNP has no
// LAUNCH_SECRET (InputError: the owner's secrets go through the attested channel).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "psp/snp/cpuid_page.h"
#include "sw/hv/kvm_sev_snp.h"
#include "sw/hv/launch_sequence.h"
#include "sw/hv/snp_cc_blob.h"

namespace cbit::sw::hv {

struct SnpLaunchParams {
  uint64_t policy = 0x30000;  // QEMU's default
  std::array<uint8_t, 16> gosvw{};
  KvmSevSnpLaunchFinish finish;  // ID block, ID auth, host data
};

class SnpLaunchCommands final : public LaunchCommands {
 public:
  // `cpuid(leaf, subleaf)`: the guest's CPUID as KVM reports it. `vmsa_page(i)`: vCPU i's VMSA
  // page.
  SnpLaunchCommands(KvmSnpVm& vm, SnpLaunchParams params, psp::snp::GuestCpuid cpuid,
                    std::function<VirtAddr(uint64_t)> vmsa_page);

  void launch_start() override;
  void launch_update(const psp::digest::LaunchStep& step) override;
  void launch_update_vmsas(const std::vector<const psp::digest::LaunchStep*>& steps) override;
  Bytes launch_measure() override { return {}; }
  void launch_secret(ByteSpan hdr, ByteSpan data, GuestPhysAddr gpa) override;
  void launch_finish() override;

  // QEMU's "SEV-SNP: CPUID validation failed ..." lines of a refused CPUID page.
  const std::vector<std::string>& cpuid_report() const { return cpuid_report_; }
  // The metadata pages launched so far (SECRETS, CPUID, ZERO / UNMEASURED sections, hashes).
  const std::vector<SnpRamPages>& ram_pages() const { return ram_pages_; }
  SnpCcBlob cc_blob() const { return snp_cc_blob(ram_pages_); }
  size_t vcpus() const { return vcpus_.size(); }

 private:
  void update(uint64_t gpa, ByteSpan src, uint64_t len, uint8_t type, const char* what);

  KvmSnpVm& vm_;
  SnpLaunchParams params_;
  psp::snp::GuestCpuid cpuid_;
  std::function<VirtAddr(uint64_t)> vmsa_page_;
  std::vector<SevEsVcpu> vcpus_;  // measured at LAUNCH_FINISH
  std::vector<SnpRamPages> ram_pages_;
  std::vector<std::string> cpuid_report_;
};

// The KVM page type of a plan step's SNP page type.
uint8_t kvm_snp_page_type(psp::digest::PageType t);

}  // namespace cbit::sw::hv
