#include "hw/rmp/rmp_insn.h"

#include "common/bytes.h"

namespace cbit::hw::rmp {
namespace {

constexpr uint64_t kSpaLimit = 1ull << 52;
constexpr uint64_t k2MiBMask = k2MiB - 1;

bool assigned_4k(const RmpEntry& e) { return e.assigned && !e.page_size_2m; }
uint64_t region_base(uint64_t spa) { return spa & ~k2MiBMask; }
SysPhysAddr page(uint64_t spa, uint64_t i) { return SysPhysAddr(spa + i * kPageSize); }

// Every 4 KiB page of [spa, spa + n pages) has an entry.
bool covered(const RmpTable& t, uint64_t spa, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i)
    if (!t.covers(page(spa, i))) return false;
  return true;
}

bool any_in_use(const Rmp& rmp, uint64_t spa, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i)
    if (rmp.in_use(page(spa, i))) return true;
  return false;
}

// Guest-Owned, Reverse-Map and Mutable for a guest instruction's target.
bool owned_by(const RmpEntry& e, const GuestTarget& g) {
  return e.assigned && e.asid == g.asid && e.gpa == (g.gpa & ~(kPageSize - 1)) && !e.immutable;
}

}  // namespace

RmpState RmpState::decode(const std::array<uint8_t, 16>& raw) {
  RmpState s;
  s.gpa = load_le<uint64_t>(raw.data());
  s.assigned = raw[8];
  s.pagesize = raw[9];
  s.immutable = raw[10];
  s.rsvd = raw[11];
  s.asid = load_le<uint32_t>(raw.data() + 12);
  return s;
}

std::array<uint8_t, 16> RmpState::encode() const {
  std::array<uint8_t, 16> raw{};
  store_le<uint64_t>(raw.data(), gpa);
  raw[8] = assigned;
  raw[9] = pagesize;
  raw[10] = immutable;
  raw[11] = rsvd;
  store_le<uint32_t>(raw.data() + 12, asid);
  return raw;
}

std::array<uint8_t, 16> rmpread_record(const RmpTable& t, SysPhysAddr spa) {
  const RmpEntry e = t.read(spa);
  std::array<uint8_t, 16> raw{};
  store_le<uint64_t>(raw.data(), e.gpa);
  raw[8] = e.assigned ? 1 : 0;
  raw[9] = static_cast<uint8_t>((e.page_size_2m ? 1 : 0) | (region_has_assigned(t, spa) ? 2 : 0));
  raw[10] = e.immutable ? 1 : 0;
  store_le<uint32_t>(raw.data() + 12, e.asid);
  return raw;
}

bool region_has_assigned(const RmpTable& t, SysPhysAddr spa) {
  const RmpEntry head = t.read(SysPhysAddr(region_base(spa.value)));
  return head.assigned || head.subpage_count != 0;
}

void commit_entry(RmpTable& t, SysPhysAddr spa, const RmpEntry& e) {
  const SysPhysAddr at = spa.page_base();
  const RmpEntry old = t.read(at);
  if (old.assigned) {
    const uint64_t n = t.asid_count(old.asid);
    t.set_asid_count(old.asid, n ? n - 1 : 0);
  }
  if (e.assigned) t.set_asid_count(e.asid, t.asid_count(e.asid) + 1);
  const uint64_t head_pa = region_base(at.value);
  RmpEntry next = e;
  if (at.value == head_pa) {
    next.subpage_count = old.subpage_count;
    t.write(at, next);
    return;
  }
  next.subpage_count = 0;
  t.write(at, next);
  const int delta = int{assigned_4k(e)} - int{assigned_4k(old)};
  if (delta == 0) return;
  RmpEntry head = t.read(SysPhysAddr(head_pa));
  const int count = int{head.subpage_count} + delta;
  head.subpage_count = static_cast<uint16_t>(count < 0 ? 0 : count > 511 ? 511 : count);
  t.write(SysPhysAddr(head_pa), head);
}

uint32_t rmpupdate(Rmp& rmp, uint64_t spa, const RmpState& next, uint32_t num_asids) {
  RmpTable& t = rmp.table();
  // Operand checks: alignment, coverage, reserved fields (FAIL_INPUT).
  if (spa & (kPageSize - 1) || spa >= kSpaLimit) return ret::kFailInput;
  if (next.rsvd || next.assigned > 1 || next.pagesize > 1 || next.immutable > 1)
    return ret::kFailInput;
  if (next.gpa & (kPageSize - 1) || next.gpa >= kSpaLimit) return ret::kFailInput;
  if (next.asid > num_asids || next.asid >= (1u << 10)) return ret::kFailInput;
  if (!next.assigned && (next.asid || next.gpa || next.immutable)) return ret::kFailInput;
  const bool big = next.pagesize == 1;
  if (big && (spa & k2MiBMask || next.gpa & k2MiBMask)) return ret::kFailInput;
  const uint64_t pages = big ? kPagesPer2MiB : 1;
  if (!covered(t, spa, pages)) return ret::kFailInput;
  // The target's owner: firmware-owned and immutable pages (the RMP itself among them) are the
  // Secure Processor's to change (FAIL_PERMISSION).
  if (t.overlaps_table(SysPhysAddr(spa), pages * kPageSize)) return ret::kFailPermission;
  for (uint64_t i = 0; i < pages; ++i)
    if (t.read(page(spa, i)).immutable) return ret::kFailPermission;
  if (any_in_use(rmp, spa, pages)) return ret::kFailInUse;
  // Overlap: a 2 MiB assignment over 4 KiB-assigned pages, a 4 KiB change inside an assigned
  // 2 MiB page.
  if (big) {
    for (uint64_t i = 0; i < pages; ++i)
      if (assigned_4k(t.read(page(spa, i)))) return ret::kFailOverlap;
  } else {
    const RmpEntry cur = t.read(SysPhysAddr(spa));
    if (cur.assigned && cur.page_size_2m) return ret::kFailOverlap;
  }
  for (uint64_t i = 0; i < pages; ++i) {
    RmpEntry e;
    e.assigned = next.assigned;
    e.page_size_2m = big;
    e.immutable = next.immutable;
    e.gpa = next.assigned ? next.gpa + i * kPageSize : 0;
    e.asid = next.asid;
    // A new mapping is not validated; VMPL0 may do everything, the others nothing (§15.36.7).
    if (next.assigned) e.vmpl_perms[0] = perm::kAll;
    commit_entry(t, page(spa, i), e);
  }
  return ret::kSuccess;
}

uint32_t psmash(Rmp& rmp, uint64_t spa) {
  RmpTable& t = rmp.table();
  if (spa & k2MiBMask || spa >= kSpaLimit) return ret::kFailInput;
  if (!covered(t, spa, kPagesPer2MiB)) return ret::kFailInput;
  const RmpEntry head = t.read(SysPhysAddr(spa));
  if (head.immutable) return ret::kFailPermission;
  if (any_in_use(rmp, spa, kPagesPer2MiB)) return ret::kFailInUse;
  if (!head.page_size_2m) return ret::kFailBadAddr;
  for (uint64_t i = 0; i < kPagesPer2MiB; ++i) {
    RmpEntry e = head;  // Validated, VMSA, permissions and all: copied (APM §15.36.11)
    e.page_size_2m = false;
    e.gpa = head.assigned ? head.gpa + i * kPageSize : 0;
    e.subpage_count = 0;
    // The other entries carry the 2 MiB page's state already; the head's copy is the rule.
    commit_entry(t, page(spa, i), e);
  }
  return ret::kSuccess;
}

namespace {

// The checks PVALIDATE and RMPADJUST share, in the APM's order: the page must be the guest's
// (#NPF), a 4 KiB request on a 2 MiB entry exits with SIZEM for the hypervisor to PSMASH, and a
// 2 MiB request on 4 KiB entries fails with FAIL_SIZEMISMATCH. False with `r` filled.
bool guest_page_checks(const RmpTable& t, const GuestTarget& g, const RmpEntry& e, bool size_2m,
                       GuestInsnResult& r) {
  if (!t.covers(g.spa) || !owned_by(e, g)) {
    r.fault = GuestInsnFault::Npf;
    return false;
  }
  if (!size_2m && e.page_size_2m) {
    r.fault = GuestInsnFault::NpfSizeM;
    return false;
  }
  if (size_2m && !e.page_size_2m) {
    r.eax = ret::kFailSizeMismatch;
    return false;
  }
  return true;
}

}  // namespace

GuestInsnResult pvalidate(RmpTable& t, const GuestTarget& g, bool size_2m, bool validate) {
  GuestInsnResult r;
  const RmpEntry e = t.read(g.spa);
  if (!guest_page_checks(t, g, e, size_2m, r)) return r;
  if (e.validated == validate) {
    r.cf = true;  // nothing changed (Linux: PVALIDATE_FAIL_NOUPDATE)
    return r;
  }
  const uint64_t pages = size_2m ? kPagesPer2MiB : 1;
  for (uint64_t i = 0; i < pages; ++i) {
    RmpEntry x = t.read(page(g.spa.value, i));
    x.validated = validate;
    t.write(page(g.spa.value, i), x);  // no bookkeeping changes: ownership is unchanged
  }
  return r;
}

GuestInsnResult rmpadjust(RmpTable& t, const GuestTarget& g, bool size_2m, uint64_t attrs,
                          unsigned caller_vmpl) {
  GuestInsnResult r;
  const unsigned target = static_cast<unsigned>(attrs & 0xFF);
  const uint8_t perms = static_cast<uint8_t>(attrs >> 8);
  const bool vmsa = attrs & rmpadjust_attr::kVmsa;
  if ((attrs & rmpadjust_attr::kReserved) || target >= kVmpls || (perms & perm::kReserved) ||
      (vmsa && size_2m)) {
    r.eax = ret::kFailInput;
    return r;
  }
  const RmpEntry e = t.read(g.spa);
  if (!guest_page_checks(t, g, e, size_2m, r)) return r;
  if (!e.validated) {
    r.fault = GuestInsnFault::NotValidated;
    return r;
  }
  // Only a less privileged (higher-numbered) VMPL, only what the caller has, VMSA only from
  // VMPL0 (APM §15.36.7, §15.36.12).
  if (target <= caller_vmpl || (perms & ~e.vmpl_perms[caller_vmpl]) || (vmsa && caller_vmpl != 0)) {
    r.eax = ret::kFailPermission;
    return r;
  }
  if (e.vmpl_perms[target] == perms && e.vmsa == vmsa) r.cf = true;
  const uint64_t pages = size_2m ? kPagesPer2MiB : 1;
  for (uint64_t i = 0; i < pages; ++i) {
    RmpEntry x = t.read(page(g.spa.value, i));
    x.vmpl_perms[target] = perms;
    x.vmsa = vmsa;
    t.write(page(g.spa.value, i), x);
  }
  return r;
}

}  // namespace cbit::hw::rmp
