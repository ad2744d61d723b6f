#include "sw/hv/snp_cc_blob.h"

#include <fmt/format.h>

#include "common/error.h"
#include "psp/digest/ovmf.h"
#include "sw/guest/kernel.h"
#include "sw/hv/kvm_sev_snp.h"

namespace cbit::sw::hv {

namespace digest = psp::digest;

std::vector<SnpRamPages> snp_ram_pages(ByteSpan firmware, uint64_t ram_bytes) {
  std::vector<SnpRamPages> out;
  if (firmware.empty()) {
    out.push_back({GuestPhysAddr(kDirectBootSecretsGpa), 1, KVM_SEV_SNP_PAGE_TYPE_SECRETS,
                   "direct boot secrets page"});
    out.push_back({GuestPhysAddr(kDirectBootCpuidGpa), 1, KVM_SEV_SNP_PAGE_TYPE_CPUID,
                   "direct boot CPUID page"});
  } else {
    const digest::Ovmf ovmf(Bytes(firmware.begin(), firmware.end()), "firmware image");
    if (ovmf.metadata().empty())
      throw InputError("firmware image: no SEV metadata, so no SNP pages to launch");
    const auto& md = ovmf.metadata();
    for (size_t i = 0; i < md.size(); ++i) {
      const auto& m = md[i];
      const char* name = digest::section_type_name(m.type);
      SnpRamPages p{GuestPhysAddr(m.gpa), m.size / kPageSize, KVM_SEV_SNP_PAGE_TYPE_ZERO,
                    fmt::format("SEV metadata section {} ({})", i, name ? name : "?")};
      switch (static_cast<digest::SectionType>(m.type)) {
        case digest::SectionType::SnpSecMem:
        case digest::SectionType::SvsmCaa:
        case digest::SectionType::SnpKernelHashes:  // no kernel hashes: zero pages
          break;
        case digest::SectionType::SnpSecrets:
          p.type = KVM_SEV_SNP_PAGE_TYPE_SECRETS;
          p.pages = 1;
          break;
        case digest::SectionType::Cpuid:
          p.type = KVM_SEV_SNP_PAGE_TYPE_CPUID;
          p.pages = 1;
          break;
        default:
          throw InputError(fmt::format(
              "firmware image: SEV metadata section {} has unknown type {:#x}", i, m.type));
      }
      if (m.gpa % kPageSize || m.size % kPageSize)
        throw InputError(
            fmt::format("firmware image: {} at {:#x} is not whole 4 KiB pages", p.label, m.gpa));
      if (p.pages) out.push_back(std::move(p));
    }
  }
  for (const auto& p : out)
    if (p.gpa.value + p.pages * kPageSize > ram_bytes)
      throw InputError(fmt::format("{} at GPA {:#x} is outside guest RAM ({} MiB)", p.label,
                                   p.gpa.value, ram_bytes >> 20));
  return out;
}

SnpCcBlob snp_cc_blob(const std::vector<SnpRamPages>& pages) {
  SnpCcBlob b;
  for (const auto& p : pages) {
    if (p.type == KVM_SEV_SNP_PAGE_TYPE_CPUID) b.cpuid_page = p.gpa;
    if (p.type == KVM_SEV_SNP_PAGE_TYPE_SECRETS) b.secrets_page = p.gpa;
    b.validated.emplace_back(p.gpa, p.pages * kPageSize);
  }
  return b;
}

void apply_cc_blob(const SnpCcBlob& blob, guest::GuestKernelConfig& cfg) {
  cfg.snp_cpuid_page = blob.cpuid_page;
  cfg.snp_secrets_page = blob.secrets_page;
  cfg.snp_prevalidated = blob.validated;
}

}  // namespace cbit::sw::hv
