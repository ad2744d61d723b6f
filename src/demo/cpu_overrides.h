// `--set field=value` (cbit demo, cbit map): the CPU-model fields a run may change, each with the
// range the architecture allows and the model supports, checked before any machine is built.
// A value is refused, never truncated into its register field: hw::apply_cpu_override stores
// what it is given, so everything reaching it has passed here.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hw/cpu_models.h"

namespace cbit::demo {

// The architectural limits the checks name (SPEC-FACTS.md, APM Vol. 2 ch. 15).
inline constexpr unsigned kMaxPhysAddrBits = 52;  // the PTE's address field ends at bit 51
inline constexpr unsigned kMinPhysAddrBits = 36;  // the narrowest x86-64 MAXPHYADDR (PAE's 36)
inline constexpr unsigned kMaxVmpls = 4;          // VMPL0..VMPL3
// An RMP entry holds a 10-bit ASID (SNP); the largest real part (Genoa, Turin) reports 1006.
inline constexpr uint32_t kMaxAsids = 1023;
// The simulated last-level cache is allocated up front: 2^20 lines (64 MiB) at most.
inline constexpr uint32_t kMaxCacheLines = 1u << 20;

// One numeric --set field: its name, where it lives, the values it may take on its own (the
// model-wide checks below relate fields to each other).
struct SetField {
  std::string_view name;
  std::string_view reg;  // "CPUID Fn8000_001F EBX[5:0]"
  uint64_t lo, hi;
};
const std::vector<SetField>& numeric_set_fields();

// The names --set accepts, numeric or not: "cbit, reduction, ..., features".
std::string set_field_list();

// Checks one "field=value" (syntax, known field, value range, feature names); throws InputError
// naming the field, the value and the range.
void check_set_assignment(std::string_view assignment);

// The whole model's consistency; throws InputError naming the field and the range:
//  - maxphyaddr in [36, 52];
//  - the usable system-address width, maxphyaddr - reduction, at least 36 bits;
//  - the C-bit a PTE address bit (<= 51) above the usable width, so it never aliases an address;
//  - ECX (asids) <= 1023; EDX (min-sev-asid) in [1, ECX + 1] (EDX = ECX + 1: no plain-SEV ASID);
//  - VMPLs <= 4; cache lines a multiple of the ways, at most 2^20.
void check_cpu_model(const hw::CpuModel& m);

// The preset `cpu` with `overrides` applied, every step checked as above.
hw::CpuModel resolve_cpu_model(std::string_view cpu, const std::vector<std::string>& overrides);

}  // namespace cbit::demo
