// The RMP instructions' effect on the table, without a core: what RMPUPDATE, PSMASH, RMPREAD,
// PVALIDATE and RMPADJUST check and write once the core has done its part (CPL, mode, operand
// fetch, the guest and nested walks). Cpu (cpu_snp.cc) calls these; tests call them directly.
//
// Sources: APM Vol. 3 RMPUPDATE / PSMASH / PVALIDATE / RMPADJUST, APM Vol. 2 §15.36.7-12;
// return codes from Linux asm/sev.h (SNP-FACTS.md §1.4).
//
// Model choices (docs/snp.md "RMP hardware"):
//  - A 2 MiB RMP page is written to all 512 of its 4 KiB entries (Page_Size=1, consecutive GPAs),
//    so every check reads exactly the entry of the 4 KiB piece it touches (Linux
//    __snp_lookup_rmpentry reads the 4 KiB entry for the state and the 2 MiB-aligned one for the
//    level). PSMASH then clears Page_Size and keeps everything else (APM §15.36.11).
//  - subpage_count of a 2 MiB-aligned entry counts the assigned 4 KiB (Page_Size=0) entries at
//    indexes 1..511 of its region (9 bits); with the aligned entry's own Assigned bit it is
//    RMPREAD's hpage_region_status and what a 2 MiB host mapping is checked against.
//  - The per-ASID counters in the bookkeeping area count assigned 4 KiB pages (a 2 MiB page
//    counts 512). commit_entry keeps both; the SNP firmware writes entries through it too.
#pragma once
#include <array>
#include <cstdint>

#include "common/addr.h"
#include "hw/rmp/rmp.h"
#include "hw/rmp/rmp_entry.h"

namespace cbit::hw::rmp {

// EAX return codes (Linux asm/sev.h RMPUPDATE_FAIL_*, PSMASH_FAIL_*, PVALIDATE_FAIL_*).
namespace ret {
inline constexpr uint32_t kSuccess = 0;
inline constexpr uint32_t kFailInput = 1;
inline constexpr uint32_t kFailPermission = 2;
inline constexpr uint32_t kFailInUse = 3;
inline constexpr uint32_t kFailOverlap = 4;  // RMPUPDATE
inline constexpr uint32_t kFailBadAddr = 4;  // PSMASH
inline constexpr uint32_t kFailSizeMismatch = 6;
}  // namespace ret

// RMPUPDATE's operand (Linux struct rmp_state, 16 bytes, little-endian).
struct RmpState {
  uint64_t gpa = 0;
  uint8_t assigned = 0;
  uint8_t pagesize = 0;  // 0 = 4 KiB, 1 = 2 MiB
  uint8_t immutable = 0;
  uint8_t rsvd = 0;
  uint32_t asid = 0;
  static RmpState decode(const std::array<uint8_t, 16>& raw);
  std::array<uint8_t, 16> encode() const;
};

// RMPREAD's output (Linux struct rmpentry, 16 bytes).
std::array<uint8_t, 16> rmpread_record(const RmpTable& t, SysPhysAddr spa);

// Writes e as spa's entry and keeps the bookkeeping (per-ASID counters, the 2 MiB region's
// subpage_count). The aligned entry's subpage_count is the table's, not e's.
void commit_entry(RmpTable& t, SysPhysAddr spa, const RmpEntry& e);

// Whether any 4 KiB page of the 2 MiB region holding spa is assigned (RMPREAD's
// hpage_region_status; the Hypervisor-Owned check of a 2 MiB host mapping).
bool region_has_assigned(const RmpTable& t, SysPhysAddr spa);

// RMPUPDATE (RAX = spa). num_asids: CPUID Fn8000_001F ECX (ASIDs above it are FAIL_INPUT).
uint32_t rmpupdate(Rmp& rmp, uint64_t spa, const RmpState& next, uint32_t num_asids);
// PSMASH (RAX = spa).
uint32_t psmash(Rmp& rmp, uint64_t spa);

// What PVALIDATE / RMPADJUST found at the entry, once the guest's address was translated.
enum class GuestInsnFault : uint8_t {
  None,
  Npf,           // Guest-Owned / Reverse-Map / Mutable failed: #NPF with the RMP bit
  NpfSizeM,      // a 4 KiB request on a 2 MiB RMP entry: #NPF with RMP and SIZEM (KVM PSMASHes)
  NotValidated,  // RMPADJUST on a page whose Validated bit is clear: #VC PAGE_NOT_VALIDATED
};
struct GuestInsnResult {
  uint32_t eax = ret::kSuccess;
  bool cf = false;
  GuestInsnFault fault = GuestInsnFault::None;
};

// The target of a guest RMP instruction: the system page and the guest page it should map.
struct GuestTarget {
  SysPhysAddr spa;  // 4 KiB page (2 MiB-aligned for a 2 MiB request)
  uint64_t gpa = 0;
  uint32_t asid = 0;
};

// PVALIDATE after the walks (the core checked CPL, VMPL0 and 2 MiB alignment of the VA).
GuestInsnResult pvalidate(RmpTable& t, const GuestTarget& g, bool size_2m, bool validate);

// RMPADJUST after the walks. attrs = RDX: [7:0] target VMPL, [15:8] permissions, bit 16 VMSA.
// Order: operand checks (FAIL_INPUT), the guest-page checks PVALIDATE makes (#NPF, SIZEM,
// FAIL_SIZEMISMATCH), then Validated, then the VMPL rules (FAIL_PERMISSION). A page the guest
// has not validated is not a return code: RMPADJUST's codes are 0/1/2/6 only (Linux, MSVC's
// __rmpadjust, SNP-FACTS.md §1.4), and a validated page is a precondition of the instruction
// (verismo's RMPADJUST model: "need to be validated before rmpadjust, otherwise it will never
// return"). The model raises #VC PAGE_NOT_VALIDATED (0x404), the fault Table 15-39 gives a
// guest's access to an unvalidated private page, ranked as there: after the #NPF checks, before
// the VMPL rules (docs/snp.md).
GuestInsnResult rmpadjust(RmpTable& t, const GuestTarget& g, bool size_2m, uint64_t attrs,
                          unsigned caller_vmpl);
namespace rmpadjust_attr {
inline constexpr uint64_t kVmsa = 1ull << 16;  // RMPADJUST_VMSA_PAGE_BIT
inline constexpr uint64_t kReserved = ~((1ull << 17) - 1);
}  // namespace rmpadjust_attr

}  // namespace cbit::hw::rmp
