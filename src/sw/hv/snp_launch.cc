#include "sw/hv/snp_launch.h"

#include <fmt/format.h>

#include <cerrno>

#include "common/error.h"
#include "hw/machine.h"
#include "psp/snp/cpuid_page.h"
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
}

SnpGuestLaunch::~SnpGuestLaunch() {
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

void SnpGuestLaunch::sev_snp_launch_start() {
  int error = 0;
  const int ret = vm_->snp_launch_start(cfg_.policy, cfg_.gosvw, 0, &error);
  if (ret) throw KvmError("KVM_SEV_SNP_LAUNCH_START", ret, error);
}

void SnpGuestLaunch::update(uint64_t gpa, ByteSpan src, uint64_t len, uint8_t type,
                            const char* what) {
  int error = 0;
  Bytes corrected;
  const int ret = vm_->snp_launch_update(gpa >> kPageShift, src, len, type, &error, &corrected);
  if (ret) {
    if (!corrected.empty()) {
      // sev_snp_cpuid_report_mismatches(): what the firmware corrected, entry by entry.
      const auto old_table = psp::snp::CpuidTable::parse(src.first(kPageSize));
      const auto new_table = psp::snp::CpuidTable::parse(corrected);
      if (old_table && new_table)
        for (size_t i = 0; i < old_table->functions.size() && i < new_table->functions.size();
             ++i) {
          const auto& o = old_table->functions[i];
          const auto& n = new_table->functions[i];
          if (o == n) continue;
          cpuid_report_.push_back(
              psp::snp::cpuid_mismatch_message({o.eax_in, o.ecx_in, o.regs(), n.regs()}));
        }
    }
    throw KvmError(fmt::format("KVM_SEV_SNP_LAUNCH_UPDATE ({})", what), ret, error);
  }
}

void SnpGuestLaunch::launch_update(const digest::LaunchStep& step) {
  const uint64_t len = step.pages * kPageSize;
  switch (step.page_type) {
    case digest::PageType::Normal:
      return update(step.gpa, step.data, len, KVM_SEV_SNP_PAGE_TYPE_NORMAL, "NORMAL");
    case digest::PageType::Zero:
      return update(step.gpa, {}, len, KVM_SEV_SNP_PAGE_TYPE_ZERO, "ZERO");
    case digest::PageType::Unmeasured: {
      const Bytes zero(len, 0);
      return update(step.gpa, zero, len, KVM_SEV_SNP_PAGE_TYPE_UNMEASURED, "UNMEASURED");
    }
    case digest::PageType::Secrets: {
      const Bytes zero(kPageSize, 0);  // the firmware fills it
      return update(step.gpa, zero, kPageSize, KVM_SEV_SNP_PAGE_TYPE_SECRETS, "SECRETS");
    }
    case digest::PageType::Cpuid: {
      // sev_snp_cpuid_info_fill(): the guest's CPUID as KVM reports it (the host part's here).
      auto& cpu = kvm_.dev().machine().cpu();
      const Bytes page = psp::snp::snp_cpuid_table_build([&](uint32_t leaf, uint32_t sub) {
                           return cpu.cpuid(leaf, sub);
                         }).serialize();
      return update(step.gpa, page, kPageSize, KVM_SEV_SNP_PAGE_TYPE_CPUID, "CPUID");
    }
    case digest::PageType::Vmsa:
      break;
  }
  throw InputError(
      fmt::format("{}: {}: not a page type QEMU launches", firmware_name_, step.label));
}

void SnpGuestLaunch::launch_update_vmsas(const std::vector<const digest::LaunchStep*>& steps) {
  auto& k = kvm_.dev().kernel();
  for (const auto* s : steps) {
    const uint64_t n = s->repeat ? s->pages : 1;
    for (uint64_t i = 0; i < n; ++i) {
      auto p = k.alloc_pages(0);  // svm_vcpu_create: the VMSA page
      if (!p) throw InputError("host kernel: out of memory for VMSA pages");
      vmsa_pages_.push_back(*p);
      const ByteSpan data = s->data;
      vcpus_.push_back({*p, [data] {
                          digest::VmsaPage page{};
                          std::copy(data.begin(), data.end(), page.begin());
                          return page;
                        }});
    }
  }
}

void SnpGuestLaunch::sev_snp_launch_finish() {
  int error = 0;
  const int ret = vm_->snp_launch_finish(vcpus_, cfg_.finish, &error);
  if (ret) throw KvmError("KVM_SEV_SNP_LAUNCH_FINISH", ret, error);
}

void SnpGuestLaunch::launch() {
  sev_snp_kvm_init();
  sev_snp_launch_start();
  run_launch_plan(plan_, *this);
  sev_snp_launch_finish();
}

}  // namespace cbit::sw::hv
