// One entry of the Reverse Map Table (SNP-FACTS.md §1.2: the Zen 3 / Zen 4 layout, PPR Fam19h
// "not architectural"; AMD-ASPFW sev_rmp.h rmp_fields_t / rmp_quadword2_t; Linux rmpentry_raw),
// and the page states the SNP firmware reads off it (§1.3: ASPFW rmp_entry_get_state, in its
// predicate order).
//
// 16 bytes per 4 KiB page of system physical memory. Quadword 0: bit 0 Assigned, 1 Page_Size
// (2 MiB), 2 Immutable, 11:3 subpage_count (ASPFW), 50:12 GPA[51:12], 60:51 ASID, 61 VMSA,
// 62 Validated, 63 Lock. Quadword 1: bytes 0..3 the VMPL0..3 permission masks.
#pragma once
#include <array>
#include <cstdint>

namespace cbit::hw::rmp {

inline constexpr uint64_t kRmpEntrySize = 16;
using RawRmpEntry = std::array<uint8_t, kRmpEntrySize>;

// The VMPL permission byte (APM Table 15-36; ASPFW vmpl_perm_mask_t).
namespace perm {
inline constexpr uint8_t kRead = 1u << 0;
inline constexpr uint8_t kWrite = 1u << 1;
inline constexpr uint8_t kExecUser = 1u << 2;        // instruction fetch at CPL 3
inline constexpr uint8_t kExecSupervisor = 1u << 3;  // instruction fetch at CPL 0
inline constexpr uint8_t kSupervisorShadowStack = 1u << 4;
inline constexpr uint8_t kAll = 0x1F;
inline constexpr uint8_t kReserved = 0xE0;  // bits 7:5, must be zero
}  // namespace perm

inline constexpr unsigned kVmpls = 4;

struct RmpEntry {
  bool assigned = false;
  bool page_size_2m = false;
  bool immutable = false;
  uint16_t subpage_count = 0;  // 9 bits
  uint64_t gpa = 0;            // page-aligned guest physical address (bits 51:12)
  uint32_t asid = 0;           // 10 bits
  bool vmsa = false;
  bool validated = false;
  bool lock = false;
  std::array<uint8_t, kVmpls> vmpl_perms{};  // VMPL0..VMPL3

  static RmpEntry decode(const RawRmpEntry& raw);
  RawRmpEntry encode() const;
  constexpr bool operator==(const RmpEntry&) const = default;
};

// ASPFW rmp_entry_get_state's states, named as the ABI spec names them.
enum class PageState : uint8_t {
  Hypervisor,     // A0 V0 ASID0 I0
  HvFixed,        // A0 V0 ASID0 I1
  Firmware,       // A1 V0 ASID0 I1 GPA=0 VMSA=0
  Reclaim,        // A1 V0 ASID0 I0
  Context,        // A1 V0 ASID0 I1 GPA=0 VMSA=1 (a guest context page)
  Metadata,       // A1 V0 ASID0 I1 GPA>0
  PreGuest,       // A1 V0 ASID>0 I1
  PreSwap,        // A1 V1 ASID>0 I1
  GuestInvalid,   // A1 V0 ASID>0 I0
  GuestValid,     // A1 V1 ASID>0 I0
  FirmwareIommu,  // A1 V0 ASID0 I1 (ASPFW gpa-state 2)
  Invalid,
};
PageState rmp_entry_get_state(const RmpEntry& e);
const char* page_state_name(PageState s);  // "HYPERVISOR", "GUEST_VALID", ...

// Ownership (APM Table 15-35).
constexpr bool hypervisor_owned(const RmpEntry& e) { return !e.assigned && e.asid == 0; }
constexpr bool firmware_owned(const RmpEntry& e) {
  return e.assigned && e.asid == 0 && e.immutable;
}

}  // namespace cbit::hw::rmp
