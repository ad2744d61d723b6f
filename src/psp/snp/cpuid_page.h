// The SEV-SNP CPUID page: the table of CPUID answers the VMM gives an SNP guest through
// SNP_LAUNCH_UPDATE (page type CPUID), checked by the Secure Processor against the part it runs on.
//
// Layout (SNP ABI "CPUID Reporting"; Linux arch/x86/include/asm/sev.h struct snp_cpuid_table;
// AMD-ASPFW cpuid_lookup.h snp_cpuid_function_t; SPEC-FACTS.md "SNP: CPUID page"):
//   0x00 u32 count (<= 64) · 0x04 u32 reserved · 0x08 u64 reserved · 0x10 entries of 0x30 bytes:
//   {u32 eax_in, ecx_in; u64 xcr0_in, xss_in; u32 eax, ebx, ecx, edx; u64 reserved}.
//
// The firmware's policy (AMD-ASPFW cpuid_lookup.c sanitize_cpuid_list, sev_mcmd.c
// snp_mcmd_launch_update): header reserved fields nonzero or count > 64 -> INVALID_PARAM. Each
// entry in the standard (0..0xFFFF) or extended (0x8000_0000..0x8000_FFFF) range is checked
// register by register with one of four rules against what the hardware reports: MASK (the
// guest may see a subset of the hardware's bits), EXACT, LESSTHAN (a value at most the
// hardware's) and UNCHECKED; some leaves have their own rules (Fn1 EAX: family/model/stepping not
// above the part's, Fn1 EBX CLFLUSH size exact, OSXSAVE and the hypervisor bit unchecked;
// Fn8000_0008 per-field LESSTHAN; Fn8000_001F EBX exact except [11:6] reduction and [15:12]
// number of VMPLs; Fn0xD EBX the XSAVE size its xcr0_in/xss_in imply). A leaf the firmware does
// not know must read all zero. Entries outside both ranges (hypervisor leaves 0x4000_0000..) are
// not checked; an entry's reserved u64 must be zero. On any failure the firmware writes the
// corrected table back (unencrypted) and returns INVALID_PARAM; QEMU then prints one line per
// entry that changed (target/i386/sev.c sev_snp_cpuid_report_mismatches).
//
// cbit's "hardware" is the CpuModel and hw::cpuid(): the leaves the model implements are checked
// with the rules above; every other std/ext leaf must be zero, as on a part that lacks it.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "hw/cpu/cpuid.h"
#include "hw/cpu_models.h"
#include "hw/psp/sev/sev_api.h"

namespace cbit::psp::snp {

inline constexpr size_t kCpuidPageSize = 4096;
inline constexpr uint32_t kCpuidCountMax = 64;  // SNP_CPUID_COUNT_MAX
inline constexpr size_t kCpuidHeaderSize = 0x10;
inline constexpr size_t kCpuidEntrySize = 0x30;

struct CpuidFunction {
  uint32_t eax_in = 0, ecx_in = 0;  // the leaf and subleaf ("function, index" in QEMU's message)
  uint64_t xcr0_in = 0, xss_in = 0;
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  uint64_t reserved = 0;
  hw::CpuidResult regs() const { return {eax, ebx, ecx, edx}; }
  bool operator==(const CpuidFunction&) const = default;
};

struct CpuidTable {
  std::vector<CpuidFunction> functions;  // at most kCpuidCountMax
  uint32_t reserved1 = 0;                // 0x04, must be zero
  uint64_t reserved2 = 0;                // 0x08, must be zero

  // Reads a page of hostile bytes. nullopt when the page is not 4 KiB or count > 64 (the firmware
  // answers INVALID_PARAM); reserved fields are kept, for the sanitiser to judge.
  static std::optional<CpuidTable> parse(ByteSpan page);
  // The 4 KiB page; bytes after the last entry are zero.
  Bytes serialize() const;
  // The entry for (leaf, subleaf), or nullptr. Linux's guest looks leaves up the same way
  // (snp_cpuid_get_validated_func).
  const CpuidFunction* find(uint32_t eax_in, uint32_t ecx_in) const;
  bool operator==(const CpuidTable&) const = default;
};

// One entry the firmware corrected: QEMU's "function 0x%x, index: 0x%x, provided: ...
// expected: ...".
struct CpuidMismatch {
  uint32_t function = 0, index = 0;
  hw::CpuidResult provided, expected;
};

struct CpuidSanitizeResult {
  CpuidTable table;  // the corrected table (what the firmware writes back)
  std::vector<CpuidMismatch> mismatches;
  // Success, or INVALID_PARAM when any entry or a reserved field was wrong.
  hw::psp::sev::SevStatus status = hw::psp::sev::SevStatus::Success;
};

// The firmware's check of a CPUID page against the part `model` (see the header comment).
CpuidSanitizeResult snp_cpuid_sanitize(const CpuidTable& table, const hw::CpuModel& model);

// QEMU's line for a mismatch: "SEV-SNP: CPUID validation failed for function 0x1, index: 0x0,
// provided: eax:0x..., ebx: ..., ecx: ..., edx: ...\n  expected: eax:0x..., ...".
std::string cpuid_mismatch_message(const CpuidMismatch& m);

// The VMM side (QEMU sev_snp_cpuid_info_fill): the table put in the CPUID page from what the
// guest's CPUID answers (the hypervisor's Vcpu::guest_cpuid). Walks leaves 0..max standard leaf
// and 0x8000_0000..max extended leaf (leaf 0 / 0x8000_0000 EAX), subleaf 0, with xcr0_in = 1
// (x87, as QEMU), up to kCpuidCountMax entries.
using GuestCpuid = std::function<hw::CpuidResult(uint32_t leaf, uint32_t subleaf)>;
CpuidTable snp_cpuid_table_build(const GuestCpuid& guest_cpuid);

}  // namespace cbit::psp::snp
