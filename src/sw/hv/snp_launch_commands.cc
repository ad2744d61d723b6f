#include "sw/hv/snp_launch_commands.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "sw/hv/sev_launch.h"

namespace cbit::sw::hv {

namespace digest = psp::digest;

uint8_t kvm_snp_page_type(digest::PageType t) {
  switch (t) {
    case digest::PageType::Normal:
      return KVM_SEV_SNP_PAGE_TYPE_NORMAL;
    case digest::PageType::Zero:
      return KVM_SEV_SNP_PAGE_TYPE_ZERO;
    case digest::PageType::Unmeasured:
      return KVM_SEV_SNP_PAGE_TYPE_UNMEASURED;
    case digest::PageType::Secrets:
      return KVM_SEV_SNP_PAGE_TYPE_SECRETS;
    case digest::PageType::Cpuid:
      return KVM_SEV_SNP_PAGE_TYPE_CPUID;
    case digest::PageType::Vmsa:
      break;
  }
  return 0;
}

SnpLaunchCommands::SnpLaunchCommands(KvmSnpVm& vm, SnpLaunchParams params,
                                     psp::snp::GuestCpuid cpuid,
                                     std::function<VirtAddr(uint64_t)> vmsa_page)
    : vm_(vm),
      params_(std::move(params)),
      cpuid_(std::move(cpuid)),
      vmsa_page_(std::move(vmsa_page)) {}

void SnpLaunchCommands::launch_start() {
  int error = 0;
  const int ret = vm_.snp_launch_start(params_.policy, params_.gosvw, 0, &error);
  if (ret) throw KvmError("KVM_SEV_SNP_LAUNCH_START", ret, error);
}

void SnpLaunchCommands::update(uint64_t gpa, ByteSpan src, uint64_t len, uint8_t type,
                               const char* what) {
  int error = 0;
  Bytes corrected;
  const int ret = vm_.snp_launch_update(gpa >> kPageShift, src, len, type, &error, &corrected);
  if (!ret) return;
  if (!corrected.empty()) {
    // sev_snp_cpuid_report_mismatches(): what the firmware corrected, entry by entry.
    const auto old_table = psp::snp::CpuidTable::parse(src.first(kPageSize));
    const auto new_table = psp::snp::CpuidTable::parse(corrected);
    if (old_table && new_table)
      for (size_t i = 0; i < old_table->functions.size() && i < new_table->functions.size(); ++i) {
        const auto& o = old_table->functions[i];
        const auto& n = new_table->functions[i];
        if (o == n) continue;
        cpuid_report_.push_back(
            psp::snp::cpuid_mismatch_message({o.eax_in, o.ecx_in, o.regs(), n.regs()}));
      }
  }
  throw KvmError(fmt::format("KVM_SEV_SNP_LAUNCH_UPDATE ({})", what), ret, error);
}

void SnpLaunchCommands::launch_update(const digest::LaunchStep& step) {
  const uint64_t len = step.pages * kPageSize;
  const uint8_t type = kvm_snp_page_type(step.page_type);
  switch (step.page_type) {
    case digest::PageType::Normal: {
      if (step.data.size() >= len) {
        update(step.gpa, step.data, len, type, "NORMAL");
      } else {  // a firmware image short of its last page: zero-padded, as the flash is
        Bytes padded(step.data.begin(), step.data.end());
        padded.resize(len, 0);
        update(step.gpa, padded, len, type, "NORMAL");
      }
      break;
    }
    case digest::PageType::Zero:
      update(step.gpa, {}, len, type, "ZERO");
      break;
    case digest::PageType::Unmeasured: {
      const Bytes zero(len, 0);
      update(step.gpa, zero, len, type, "UNMEASURED");
      break;
    }
    case digest::PageType::Secrets: {
      const Bytes zero(kPageSize, 0);  // the firmware fills it
      update(step.gpa, zero, kPageSize, type, "SECRETS");
      break;
    }
    case digest::PageType::Cpuid: {
      const Bytes page = psp::snp::snp_cpuid_table_build(cpuid_).serialize();
      update(step.gpa, page, kPageSize, type, "CPUID");
      break;
    }
    case digest::PageType::Vmsa:
      throw InputError(
          fmt::format("{}: a VMSA is not launched by KVM_SEV_SNP_LAUNCH_UPDATE", step.label));
  }
  if (step.source != digest::LaunchStep::Source::Firmware)
    ram_pages_.push_back(
        {GuestPhysAddr(step.gpa),
         step.page_type == digest::PageType::Secrets || step.page_type == digest::PageType::Cpuid
             ? 1
             : step.pages,
         type, step.label});
}

void SnpLaunchCommands::launch_update_vmsas(const std::vector<const digest::LaunchStep*>& steps) {
  for (const auto* s : steps) {
    const uint64_t n = s->repeat ? s->pages : 1;
    for (uint64_t i = 0; i < n; ++i) {
      const ByteSpan data = s->data;
      vcpus_.push_back({vmsa_page_(vcpus_.size()), [data] {
                          digest::VmsaPage page{};
                          std::copy_n(data.begin(), std::min(data.size(), page.size()),
                                      page.begin());
                          return page;
                        }});
    }
  }
}

void SnpLaunchCommands::launch_secret(ByteSpan, ByteSpan, GuestPhysAddr) {
  throw InputError("SEV-SNP has no LAUNCH_SECRET: the owner provisions secrets after attestation");
}

void SnpLaunchCommands::launch_finish() {
  int error = 0;
  const int ret = vm_.snp_launch_finish(vcpus_, params_.finish, &error);
  if (ret) throw KvmError("KVM_SEV_SNP_LAUNCH_FINISH", ret, error);
}

}  // namespace cbit::sw::hv
