// What an SEV-SNP launch leaves in guest RAM for the guest kernel, and how the guest learns it
// (SNP-FACTS.md §2.4, §5.3):
//   - the pages: OVMF's SEV metadata sections (OvmfSevMetadata.asm; QEMU
//     snp_populate_metadata_pages): SNP_SEC_MEM as ZERO pages, SNP_SECRETS as the SECRETS page,
//     CPUID as the CPUID page, SVSM_CAA and an unused SNP_KERNEL_HASHES as ZERO pages — each
//     handed to KVM_SEV_SNP_LAUNCH_UPDATE, so each is assigned and validated when the guest
//     starts. A launch without a firmware image (the model's direct boot of its kernel) gets a
//     CPUID page and a secrets page at kDirectBootCpuidGpa / kDirectBootSecretsGpa, below the
//     kernel's 1 MiB floor.
//   - the handoff: OVMF passes the CPUID and secrets pages to Linux in the CC blob (struct
//     cc_blob_sev_info, through the EFI configuration table) and the memory it validated as
//     accepted memory; SnpCcBlob is that, and apply_cc_blob() puts it in the guest kernel's
//     configuration (GuestKernelConfig::snp_cpuid_page, snp_secrets_page, snp_prevalidated).
// Errors: InputError for a firmware image whose metadata is malformed or names a page outside
// guest RAM (QEMU refuses such an image too).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::sw::guest {
struct GuestKernelConfig;
}

namespace cbit::sw::hv {

inline constexpr uint64_t kDirectBootSecretsGpa = 0x9D000;
inline constexpr uint64_t kDirectBootCpuidGpa = 0x9E000;

// One KVM_SEV_SNP_LAUNCH_UPDATE of pages in guest RAM (type: KvmSevSnpPageType).
struct SnpRamPages {
  GuestPhysAddr gpa;
  uint64_t pages = 1;
  uint8_t type = 0;
  std::string label;
};

// The RAM pages an SNP launch populates, in QEMU's order: OVMF's metadata sections when
// `firmware` has SNP metadata, else the direct-boot CPUID and secrets pages.
std::vector<SnpRamPages> snp_ram_pages(ByteSpan firmware, uint64_t ram_bytes);

struct SnpCcBlob {
  std::optional<GuestPhysAddr> cpuid_page, secrets_page;
  std::vector<std::pair<GuestPhysAddr, uint64_t>> validated;  // (start, bytes)
};

// The CC blob of the pages the launch populated.
SnpCcBlob snp_cc_blob(const std::vector<SnpRamPages>& pages);

// OVMF's handoff to the guest kernel.
void apply_cc_blob(const SnpCcBlob& blob, guest::GuestKernelConfig& cfg);

}  // namespace cbit::sw::hv
