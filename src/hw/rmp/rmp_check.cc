#include "hw/rmp/rmp_check.h"

#include "hw/rmp/rmp_entry.h"
#include "hw/rmp/rmp_insn.h"

namespace cbit::hw::rmp {

const char* rmp_check_name(RmpCheck c) {
  switch (c) {
    case RmpCheck::Pass:
      return "pass";
    case RmpCheck::Covered:
      return "RMP-Covered";
    case RmpCheck::HypervisorOwned:
      return "Hypervisor-Owned";
    case RmpCheck::GuestOwned:
      return "Guest-Owned";
    case RmpCheck::ReverseMap:
      return "Reverse-Map";
    case RmpCheck::Mutable:
      return "Mutable";
    case RmpCheck::PageSize:
      return "Page-Size";
    case RmpCheck::Validated:
      return "Validated";
    case RmpCheck::Vmpl:
      return "VMPL";
  }
  return "?";
}

RmpCheck check_host_write(const RmpTable& t, SysPhysAddr spa, unsigned page_shift) {
  if (!hypervisor_owned(t.read(spa))) return RmpCheck::HypervisorOwned;
  // A 2 MiB (or 1 GiB, checked as 2 MiB) mapping: all 512 entries of the region unassigned.
  if (page_shift > 12 && region_has_assigned(t, spa)) return RmpCheck::HypervisorOwned;
  return RmpCheck::Pass;
}

GuestCheckResult check_snp_guest(const RmpTable& t, SysPhysAddr spa, const GuestAccess& a) {
  GuestCheckResult r;
  if (!a.private_access) {
    // Shared data: only writes are checked, and only for hypervisor ownership.
    if (a.op == GuestOp::Write && !hypervisor_owned(t.read(spa)))
      r.failed = RmpCheck::HypervisorOwned;
    return r;
  }
  const auto entry = t.entry_address(spa);
  if (!entry || !t.covers(spa)) {
    r.failed = RmpCheck::Covered;
    return r;
  }
  const RmpEntry e = t.read(spa);
  if (!e.assigned || e.asid != a.asid)
    r.failed = RmpCheck::GuestOwned;
  else if (e.gpa != (a.gpa & ~(kPageSize - 1)))
    r.failed = RmpCheck::ReverseMap;
  else if (e.immutable)
    r.failed = RmpCheck::Mutable;
  else if ((a.nested_shift > 12) != e.page_size_2m)
    r.failed = RmpCheck::PageSize;
  else if (!e.validated)
    r.failed = RmpCheck::Validated;
  if (r.failed != RmpCheck::Pass) return r;
  r.perms = e.vmpl_perms[a.vmpl & 3];
  uint8_t need = perm::kRead;
  if (a.op == GuestOp::Write) need = perm::kWrite;
  if (a.op == GuestOp::Fetch) need = a.user ? perm::kExecUser : perm::kExecSupervisor;
  // Write without read is not a legal combination: a data access to such a page faults.
  const bool illegal =
      (r.perms & perm::kWrite) && !(r.perms & perm::kRead) && a.op != GuestOp::Fetch;
  if (!(r.perms & need) || illegal) r.failed = RmpCheck::Vmpl;
  return r;
}

RmpCheck check_legacy_guest(const RmpTable& t, SysPhysAddr spa, bool write_or_table) {
  if (write_or_table && !hypervisor_owned(t.read(spa))) return RmpCheck::HypervisorOwned;
  return RmpCheck::Pass;
}

bool vmrun_vmsa_ok(const RmpTable& t, SysPhysAddr vmsa, uint32_t asid) {
  if (!t.covers(vmsa)) return false;
  const RmpEntry e = t.read(vmsa);
  return e.assigned && e.asid == asid && !e.immutable && !e.page_size_2m && e.vmsa;
}

}  // namespace cbit::hw::rmp
