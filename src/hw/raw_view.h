// The raw physical view: what is on the DRAM chips and in the NVDIMM cells, or on the wires.
// The memory view attack tools get (ARCHITECTURE.md "Three views of memory"; attacks reach it
// through attacks::PhysicalAttacker::raw()): it never decrypts, never touches a key slot, never
// has side effects on caches, and so does not see dirty lines still in the cache (a DMA read
// does: it snoops). It holds the cells read-only and hands out nothing but bytes.
#pragma once
#include <functional>

#include "hw/dram/dram.h"
#include "hw/dram/nvdimm.h"

namespace cbit::hw {

class RawPhysicalView {
 public:
  RawPhysicalView(const Dram& dram, const Nvdimm* nvdimm) : dram_(dram), nvdimm_(nvdimm) {}
  uint64_t dram_size() const { return dram_.size(); }
  void read(SysPhysAddr pa, MutByteSpan out) const {
    if (nvdimm_ && nvdimm_->contains(pa, out.size()))
      nvdimm_->read(pa, out);
    else
      dram_.read(pa, out);
  }
  // Visits every DRAM page that holds anything (untouched pages read as zero).
  void for_each_dram_page(const std::function<void(Pfn, ByteSpan)>& fn) const {
    dram_.for_each_touched([&](Pfn p, const uint8_t* d) { fn(p, ByteSpan(d, kPageSize)); });
  }

 private:
  const Dram& dram_;
  const Nvdimm* nvdimm_;
};

}  // namespace cbit::hw
