#include "hw/cpu/mmu.h"

#include "hw/cpu/fault.h"

namespace cbit::hw {

namespace {

bool canonical(uint64_t va) {
  const int64_t s = static_cast<int64_t>(va << 16) >> 16;  // sign-extend bit 47
  return static_cast<uint64_t>(s) == va;
}

// Per-level must-be-zero bits beyond the address width (APM Vol. 2 §5.3, long-mode entry
// formats; KVM __reset_rsvds_bits_mask for AMD): PML4E bits 8:7; a non-leaf PDPE bit 8;
// 1 GiB PDPE bits 29:13; 2 MiB PDE bits 20:13 (bit 12 is PAT).
uint64_t level_reserved(unsigned level, bool leaf) {
  switch (level) {
    case 4:
      return pte::kPs | pte::kG;
    case 3:
      return leaf ? bit_range(13, 30) : pte::kG;
    case 2:
      return leaf ? bit_range(13, 21) : 0;
    default:
      return 0;
  }
}

}  // namespace

void Mmu::fault(VirtAddr va, uint32_t code, Access access, bool user, const PagingMode& mode) {
  if (access == Access::Write) code |= pf_err::kWrite;
  if (user) code |= pf_err::kUser;
  // I/D is defined only with no-execute enabled (APM Vol. 2 §8.4.2).
  if (access == Access::Fetch && mode.nxe) code |= pf_err::kFetch;
  tlb_.invlpg(va);  // a fault leaves no translation of the page behind
  throw PageFault(va, code);
}

bool Mmu::allowed(const TlbEntry& e, Access access, bool user, const PagingMode& mode) const {
  if (user && !e.user) return false;
  if (access == Access::Write && !e.writable && (user || mode.wp)) return false;
  if (access == Access::Fetch && mode.nxe && e.nx) return false;
  return true;
}

TlbEntry Mmu::walk(VirtAddr va, Access access, bool user, const PagingMode& mode) {
  ++walks_;
  uint64_t entries[5] = {}, addrs[5] = {};
  bool table_c[5] = {};
  uint64_t table = layout_.frame(mode.cr3);
  bool c = layout_.c_bit(mode.cr3) || policy_.tables_always_private;
  TlbEntry t;
  t.writable = t.user = true;
  unsigned level = 4;
  for (;; --level) {
    const uint64_t addr = table + 8ull * pte::index_at(va.value, level);
    const uint64_t e = tables_.read_entry(addr, c);
    entries[level] = e;
    addrs[level] = addr;
    table_c[level] = c;
    if (!(e & pte::kP)) fault(va, 0, access, user, mode);
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & pte::kPs));
    uint64_t rsvd = layout_.reserved_mask | level_reserved(level, leaf);
    if (!mode.nxe) rsvd |= pte::kNx;
    if (e & rsvd) fault(va, pf_err::kPresent | pf_err::kRsvd, access, user, mode);
    t.writable &= (e & pte::kRw) != 0;
    t.user &= (e & pte::kUs) != 0;
    t.nx |= (e & pte::kNx) != 0;
    if (leaf) break;
    table = layout_.frame(e);
    c = layout_.c_bit(e) || policy_.tables_always_private;
  }
  const uint64_t leaf_e = entries[level];
  t.page_shift = static_cast<uint8_t>(pte::level_shift(level));
  t.vpn = va.value >> t.page_shift;
  t.frame = layout_.frame(leaf_e) & ~((1ull << t.page_shift) - 1);
  t.c_bit = layout_.c_bit(leaf_e);
  t.global = (leaf_e & pte::kG) && mode.pge;
  if (!allowed(t, access, user, mode)) fault(va, pf_err::kPresent, access, user, mode);

  // The access is allowed: record it in the tables (A on every level, D on the leaf).
  for (unsigned l = 4; l >= level; --l) {
    uint64_t want = entries[l] | pte::kA;
    if (l == level && access == Access::Write) want |= pte::kD;
    if (want != entries[l]) {
      try {
        tables_.write_entry(addrs[l], want, table_c[l]);
      } catch (const TableWriteRmpFault&) {
        fault(va, pf_err::kPresent | pf_err::kRmp, Access::Write, user, mode);
      }
    }
    if (l == level) t.dirty = (want & pte::kD) != 0;
  }
  return t;
}

Translation Mmu::translate(VirtAddr va, Access access, bool user, const PagingMode& mode) {
  if (!mode.paging) return {SysPhysAddr(va.value), false};  // host without paging: no C-bit
  if (!canonical(va.value)) throw GeneralProtection("non-canonical address");
  const TlbEntry* e = tlb_.lookup(va);
  // A hit serves the access only if it passes the checks and needs no Dirty update; anything
  // else goes to the tables, which are authoritative.
  TlbEntry fresh;
  if (!e || !allowed(*e, access, user, mode) || (access == Access::Write && !e->dirty)) {
    fresh = walk(va, access, user, mode);
    tlb_.insert(va, fresh);
    e = &fresh;
  }
  const bool c = e->c_bit || (access == Access::Fetch && policy_.fetch_always_private);
  return {e->translate(va), c, e->page_shift};
}

}  // namespace cbit::hw
