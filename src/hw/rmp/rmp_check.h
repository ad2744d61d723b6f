// The RMP checks the hardware makes on memory accesses (APM Vol. 2 Table 15-39, §15.36.10;
// SNP-FACTS.md §1.5), after the normal and nested page-table checks and ranked below them.
// Pure functions of the table and the access; the core (cpu.cc, cpu_svm.cc) turns a failure
// into #PF (host), #NPF or #VC (guest).
//
//  host, data write or page-table A/D write:  Hypervisor-Owned              -> #PF, bit 31
//                                              (a 2 MiB / 1 GiB host mapping: the whole 2 MiB
//                                              region must be unassigned)
//  host, reads:                               not checked (ciphertext comes back)
//  guest without SNP, write / page-table:     Hypervisor-Owned              -> #NPF
//  SNP guest, C=1 data, fetch, page tables:   Covered, Guest-Owned, Reverse-Map, Mutable,
//                                              Page-Size                     -> #NPF
//                                              then Validated                -> #VC 0x404
//                                              then VMPL permission          -> #NPF (VMPL)
//  SNP guest, C=0 data write:                 Hypervisor-Owned              -> #NPF
//
// Each check reads one 16-byte entry straight from DRAM (no cache, no allocation).
#pragma once
#include <cstdint>

#include "common/addr.h"
#include "hw/rmp/rmp_table.h"

namespace cbit::hw::rmp {

// Which check failed, in Table 15-39's names (Pass = none).
enum class RmpCheck : uint8_t {
  Pass,
  Covered,
  HypervisorOwned,
  GuestOwned,
  ReverseMap,
  Mutable,
  PageSize,
  Validated,
  Vmpl,
};
const char* rmp_check_name(RmpCheck c);

// A host write (data, or a page-table A/D update) to spa through a mapping of 1 << page_shift.
RmpCheck check_host_write(const RmpTable& t, SysPhysAddr spa, unsigned page_shift);

// What a guest access looks like to the RMP.
enum class GuestOp : uint8_t { Read, Write, Fetch };
struct GuestAccess {
  uint64_t gpa = 0;  // C-bit removed
  uint32_t asid = 0;
  GuestOp op = GuestOp::Read;
  bool private_access = false;  // effective C=1 (always for fetches and guest page tables)
  bool user = false;            // CPL 3 (instruction fetch: execute-user permission)
  unsigned nested_shift = 12;   // the nested mapping's page size (12, 21 or 30)
  unsigned vmpl = 0;            // the VMPL the vCPU runs at (its VMSA)
};

struct GuestCheckResult {
  RmpCheck failed = RmpCheck::Pass;
  uint8_t perms = 0;  // the VMPL's permission byte (for EXITINFO1's SSS bit)
};

// An SNP-active guest's access to spa.
GuestCheckResult check_snp_guest(const RmpTable& t, SysPhysAddr spa, const GuestAccess& a);

// VMRUN's check of an SNP-active guest's VMSA page (APM Table 15-41): RMP-covered, assigned
// (Guest-Owned) to `asid`, mutable, a 4 KiB entry and RMP.VMSA=1. False means VMRUN fails with
// VMEXIT_INVALID. Cpu::vmrun applies it; `cbit launch --mode snp` reports it for the BSP.
bool vmrun_vmsa_ok(const RmpTable& t, SysPhysAddr vmsa, uint32_t asid);
// A guest without SNP on an SNP host (only writes and page-table accesses are checked).
RmpCheck check_legacy_guest(const RmpTable& t, SysPhysAddr spa, bool write_or_table);

}  // namespace cbit::hw::rmp
