#include "sw/hv/snp_launch.h"

#include <fmt/format.h>

#include <cerrno>

#include "common/error.h"
#include "hw/machine.h"
#include "sw/host/kernel.h"
#include "sw/host/sev_dev.h"
#include "sw/hv/sev_launch.h"

namespace cbit::sw::hv {

namespace digest = psp::digest;

SnpGuestLaunch::SnpGuestLaunch(KvmSev& kvm, const SnpGuestConfig& cfg,
                               const digest::LaunchPlan& plan, ByteSpan firmware,
                               GuestPhysAddr firmware_gpa, std::string firmware_name)
    : kvm_(kvm),
      cfg_(cfg),
      plan_(plan),
      firmware_(firmware),
      firmware_name_(std::move(firmware_name)) {
  if (plan_.mode != digest::SevMode::Snp)
    throw InputError("SEV-SNP launch: the launch plan is not an SNP plan");
  if (firmware_.empty() || firmware_.size() % kPageSize)
    throw InputError(fmt::format("{}: {} bytes, not a whole number of 4 KiB pages", firmware_name_,
                                 firmware_.size()));
  const uint64_t flash_base = firmware_gpa.value & kPageMask;
  if (cfg_.ram_bytes == 0 || cfg_.ram_bytes % kPageSize || cfg_.ram_bytes > flash_base)
    throw InputError(
        fmt::format("guest RAM of {:#x} bytes: not whole pages below the flash at {:#x}",
                    cfg_.ram_bytes, flash_base));
  mem_ = std::make_unique<VmMemory>(kvm_.dev().kernel());
  // QEMU's RAM: anonymous memory (guest_memfd for SNP) faulted in when first touched.
  mem_->add_slot("pc.ram", GuestPhysAddr(0), cfg_.ram_bytes, false, VmMemory::Fault::kOnFirstTouch);
  // The flash: guest_memfd pages the firmware is copied into by KVM_SEV_SNP_LAUNCH_UPDATE.
  mem_->add_slot("pc.bios", GuestPhysAddr(flash_base), digest::kFourGiB - flash_base, true,
                 VmMemory::Fault::kOnFirstTouch);
  // Every step's pages must be guest memory (a metadata section beyond RAM cannot be launched).
  for (const auto& s : plan_.steps) {
    if (s.source == digest::LaunchStep::Source::Vmsa) continue;
    for (uint64_t i = 0; i < s.pages; ++i)
      if (!mem_->slot_of(GuestPhysAddr(s.gpa + i * kPageSize)))
        throw InputError(fmt::format("{}: {} at GPA {:#x} is outside guest memory ({} MiB of RAM)",
                                     firmware_name_, s.label, s.gpa + i * kPageSize,
                                     cfg_.ram_bytes >> 20));
  }
  vm_ = std::make_unique<KvmSnpVm>(kvm_, *mem_);
  // sev_snp_cpuid_info_fill(): the guest's CPUID as KVM reports it (the host part's here).
  auto& cpu = kvm_.dev().machine().cpu();
  cmds_ = std::make_unique<SnpLaunchCommands>(
      *vm_, SnpLaunchParams{cfg_.policy, cfg_.gosvw, cfg_.finish},
      [&cpu](uint32_t leaf, uint32_t sub) { return cpu.cpuid(leaf, sub); },
      [this](uint64_t i) { return vmsa_page(i); });
}

SnpGuestLaunch::~SnpGuestLaunch() {
  cmds_.reset();
  vm_.reset();  // teardown: DECOMMISSION, pages reclaimed, VMSAs made shared
  auto& k = kvm_.dev().kernel();
  for (VirtAddr p : vmsa_pages_) k.free_pages(p, 0);
}

void SnpGuestLaunch::sev_snp_kvm_init() {
  int error = 0;
  const int ret = vm_->sev_init2(&error);
  if (ret) throw KvmError("KVM_SEV_INIT2", ret, error);
  // QEMU: all of guest memory private (KVM_SET_MEMORY_ATTRIBUTES).
  for (const MemSlot& s : mem_->slots()) mem_->set_memory_attributes(s.gpa, s.size, true);
}

void SnpGuestLaunch::sev_snp_launch_start() { cmds_->launch_start(); }

VirtAddr SnpGuestLaunch::vmsa_page(uint64_t vcpu) {
  while (vmsa_pages_.size() <= vcpu) {
    auto p = kvm_.dev().kernel().alloc_pages(0);  // svm_vcpu_create: the VMSA page
    if (!p) throw InputError("host kernel: out of memory for VMSA pages");
    vmsa_pages_.push_back(*p);
  }
  return vmsa_pages_[vcpu];
}

void SnpGuestLaunch::sev_snp_launch_finish() { cmds_->launch_finish(); }

void SnpGuestLaunch::launch() {
  sev_snp_kvm_init();
  run_launch_to_measure(plan_, *cmds_);
  sev_snp_launch_finish();
}

}  // namespace cbit::sw::hv
