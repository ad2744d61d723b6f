// KVM's two-dimensional paging for AMD (NPT): the nested page tables that map a VM's guest
// physical addresses onto system physical addresses (Linux arch/x86/kvm/mmu/tdp_mmu.c; APM Vol. 2
// §15.25).
//
// The tables are host kernel pages written through the kernel's own mapping. Under SME every
// entry carries the C-bit (KVM's shadow_me_value = sme_me_mask) and nCR3 is __sme_pa(root): so
// the nested walk reads the tables with the host key, and a guest access the guest marks shared
// (guest PTE C=0) goes to memory with the host key — the hypervisor reads it in the clear.
// Entries are user, writable, present 4 KiB leaves; the attack tools remap, unmap and re-point
// them (SEVered) through the same interface.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "common/addr.h"

namespace cbit::sw::host {
class HostKernel;
}

namespace cbit::sw::hv {

class NestedPageTables {
 public:
  explicit NestedPageTables(host::HostKernel& kernel);
  ~NestedPageTables();
  NestedPageTables(const NestedPageTables&) = delete;
  NestedPageTables& operator=(const NestedPageTables&) = delete;

  // What goes into VMCB.nCR3: the root's physical address, with the C-bit under SME.
  uint64_t ncr3() const;

  // Map [gpa, gpa+size) to [spa, spa+size) with 4 KiB leaves. `c_bit`: the nested C-bit
  // (defaults to the host's sme_me_mask != 0, as KVM does).
  void map(GuestPhysAddr gpa, SysPhysAddr spa, uint64_t size, bool writable = true);
  void map_page(GuestPhysAddr gpa, SysPhysAddr spa, bool writable, bool c_bit);
  void unmap_page(GuestPhysAddr gpa);  // clears the leaf (the next access exits with #NPF)
  // The leaf of gpa: {spa, c_bit} or nullopt when not present.
  struct Leaf {
    SysPhysAddr spa;
    bool writable = false;
    bool c_bit = false;
  };
  std::optional<Leaf> lookup(GuestPhysAddr gpa);
  uint64_t table_pages() const { return pages_.size(); }

 private:
  uint64_t read_entry(SysPhysAddr table, unsigned index);
  void write_entry(SysPhysAddr table, unsigned index, uint64_t value);
  SysPhysAddr alloc_table();
  // The table at `level` (1 = PT) holding gpa's entry, created on the way when `create`.
  std::optional<SysPhysAddr> walk_to_pt(GuestPhysAddr gpa, bool create);

  host::HostKernel& k_;
  uint64_t me_mask_ = 0;
  SysPhysAddr root_;
  std::vector<VirtAddr> pages_;
};

}  // namespace cbit::sw::hv
