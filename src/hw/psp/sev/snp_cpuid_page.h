// The CPUID page of SNP_LAUNCH_UPDATE (SNP-FACTS.md §2.4, §5.3; Linux struct snp_cpuid_table;
// AMD-ASPFW cpuid_lookup.c): u32 count (<= 64), u32 rsvd, u64 rsvd, then 0x30-byte entries
// {u32 eax_in, ecx_in; u64 xcr0_in, xss_in; u32 eax, ebx, ecx, edx; u64 rsvd}.
//
// The firmware's rule, as modelled: a guest may not be told of a feature the part does not
// have. For the feature-flag leaves (Fn0000_0001 ECX/EDX, Fn0000_0007.0 EBX/ECX/EDX,
// Fn8000_0001 ECX/EDX, Fn8000_001F EAX) each register must be a subset of the part's CPUID;
// other leaves are passed as given (ASPFW checks more leaves with per-leaf rules that the
// public sources do not spell out; docs/sev-firmware.md).
#pragma once
#include <cstdint>

#include "common/bytes.h"
#include "hw/psp/sev/sev_api.h"

namespace cbit::hw {
struct CpuModel;
}

namespace cbit::hw::psp::sev {

inline constexpr uint32_t kSnpCpuidCountMax = 64;
inline constexpr size_t kSnpCpuidEntrySize = 0x30;
inline constexpr size_t kSnpCpuidHeaderSize = 0x10;

struct CpuidCheck {
  SevStatus status = SevStatus::Success;  // INVALID_PARAM for a malformed page or a wrong entry
  bool corrected = false;                 // the page now holds the corrected table
};

// Checks `page` (4 KiB) against `cpu`; corrects wrong entries in place.
CpuidCheck snp_check_cpuid_page(MutByteSpan page, const CpuModel& cpu);

}  // namespace cbit::hw::psp::sev
