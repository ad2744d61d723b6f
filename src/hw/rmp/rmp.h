// The RMP as the platform has it: one table in DRAM, enabled when the cores set SYSCFG.SNP_EN
// with RMP_BASE / RMP_END (and RMP_CFG) in their MSRs, read by the cores' RMP checks and
// instructions (hw/cpu, hw/iommu) and by the SNP firmware (hw/psp/sev). The Machine owns it;
// the others hold a reference (STYLE.md).
//
// Before SNP_EN no check runs and the table is plain memory (Linux zeroes it then). The SNP
// firmware's SNP_INIT builds the initial entries (ASPFW configure_rmp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/addr.h"
#include "hw/rmp/rmp_table.h"

namespace cbit::hw {
class Dram;
}

namespace cbit::hw::rmp {

class Rmp {
 public:
  explicit Rmp(Dram& dram) : dram_(dram) {}
  Rmp(const Rmp&) = delete;
  Rmp& operator=(const Rmp&) = delete;

  // A core set SYSCFG.SNP_EN with these bounds. The first core's bounds become the table's;
  // SNP_INIT refuses (INVALID_CONFIG) when the cores disagree, so a later core's differing
  // bounds are recorded as a mismatch here.
  void enable(const RmpBounds& bounds);
  bool enabled() const { return table_.has_value(); }
  bool bounds_mismatch() const { return mismatch_; }
  RmpTable& table() { return *table_; }
  const RmpTable& table() const { return *table_; }
  // Platform reset: SNP_EN clears on every core, the table is plain memory again (its DRAM keeps
  // its cells).
  void reset();

  // Pages VMRUN has marked in-use (the VMCB, VMSA): RMPUPDATE on them gives FAIL_INUSE until the
  // #VMEXIT (APM Table 15-41).
  // A handful at a time (two per core in guest mode): a flat list, no allocation per VMRUN.
  void mark_in_use(SysPhysAddr page) {
    if (!in_use(page)) in_use_.push_back(page.page_base().value);
  }
  void clear_in_use(SysPhysAddr page) { std::erase(in_use_, page.page_base().value); }
  bool in_use(SysPhysAddr page) const {
    return std::find(in_use_.begin(), in_use_.end(), page.page_base().value) != in_use_.end();
  }

 private:
  Dram& dram_;
  std::optional<RmpTable> table_;
  bool mismatch_ = false;
  std::vector<uint64_t> in_use_;
};

}  // namespace cbit::hw::rmp
