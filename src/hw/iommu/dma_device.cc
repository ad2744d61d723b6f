#include "hw/iommu/dma_device.h"

#include <fmt/format.h>

#include "common/trace.h"
#include "hw/cache/cache.h"
#include "hw/memctrl/memory_controller.h"
#include "hw/rmp/rmp.h"

namespace cbit::hw {

DmaDevice::DmaDevice(std::string name, unsigned dma_mask_bits, MemoryController& mc, Cache& cache,
                     unsigned cbit_position)
    : name_(std::move(name)),
      mask_bits_(dma_mask_bits),
      mc_(mc),
      cache_(cache),
      cbit_(cbit_position) {}

namespace {
// One transfer on the IOMMU / DMA row: device, direction, bus address, length, and whether it
// was blocked (and why).
void trace_dma(const std::string& device, const char* dir, uint64_t bus_addr, uint64_t len,
               const char* blocked) {
  trace::instant(trace::track::kIommu, "dma",
                 std::string("DMA ") + dir + (blocked ? " blocked" : ""),
                 {{"device", device},
                  {"direction", dir},
                  {"bus_address", trace::hex(bus_addr)},
                  {"length", len},
                  {"blocked", blocked != nullptr},
                  {"why", blocked ? blocked : ""}});
}
}  // namespace

DmaDevice::Target DmaDevice::decode(uint64_t bus_addr, uint64_t len) const {
  if (!can_address(bus_addr, len))
    throw DmaFault(fmt::format("{}: bus address {:#x} (+{:#x}) is beyond its {}-bit DMA mask",
                               name_, bus_addr, len, mask_bits_));
  const uint64_t cmask = 1ull << cbit_;
  const bool c = bus_addr & cmask;
  return {SysPhysAddr(bus_addr & ~cmask), mc_.resolve(MemAttr{c, Asid(0)})};
}

void DmaDevice::dma_read(uint64_t bus_addr, MutByteSpan out) {
  if (trace::on()) [[unlikely]]
    trace_dma(name_, "read", bus_addr, out.size(),
              can_address(bus_addr, out.size()) ? nullptr : "beyond the DMA mask");
  const Target t = decode(bus_addr, out.size());
  cache_.snoop_for_dma(t.pa, out.size(), false);
  if (t.tag.encrypted) {
    // The engine works on 16-byte blocks: read the covering blocks, return the slice.
    const uint64_t first = t.pa.value & ~(kAesBlockSize - 1);
    const uint64_t last = (t.pa.value + out.size() + kAesBlockSize - 1) & ~(kAesBlockSize - 1);
    Bytes buf(last - first);
    mc_.read(SysPhysAddr(first), buf, t.tag);
    std::copy_n(buf.begin() + static_cast<long>(t.pa.value - first), out.size(), out.begin());
  } else {
    mc_.read(t.pa, out, t.tag);
  }
}

void DmaDevice::rmp_check_write(SysPhysAddr pa, uint64_t len) const {
  if (!rmp_ || !rmp_->enabled() || len == 0) return;
  const uint64_t first = pa.value & kPageMask;
  const uint64_t last = (pa.value + len - 1) & kPageMask;
  for (uint64_t p = first; p <= last; p += kPageSize)
    if (!rmp::hypervisor_owned(rmp_->table().read(SysPhysAddr(p))))
      throw DmaFault(fmt::format(
          "{}: IOMMU blocked the write to {:#x}: the page is not hypervisor-owned (RMP)", name_,
          p));
}

void DmaDevice::dma_write(uint64_t bus_addr, ByteSpan in) {
  if (trace::on()) [[unlikely]] {
    const char* blocked = nullptr;
    if (!can_address(bus_addr, in.size())) {
      blocked = "beyond the DMA mask";
    } else {
      try {
        rmp_check_write(decode(bus_addr, in.size()).pa, in.size());
      } catch (const DmaFault&) {
        blocked = "IOMMU: RMP check failed (page not hypervisor-owned)";
        trace::instant(trace::track::kIommu, "rmp", "RMP check failed: Hypervisor-Owned",
                       {{"check", "Hypervisor-Owned"},
                        {"access", "device write"},
                        {"device", name_},
                        {"bus_address", trace::hex(bus_addr)}});
      }
    }
    trace_dma(name_, "write", bus_addr, in.size(), blocked);
  }
  const Target t = decode(bus_addr, in.size());
  rmp_check_write(t.pa, in.size());
  cache_.snoop_for_dma(t.pa, in.size(), true);
  if (t.tag.encrypted) {
    const uint64_t first = t.pa.value & ~(kAesBlockSize - 1);
    const uint64_t last = (t.pa.value + in.size() + kAesBlockSize - 1) & ~(kAesBlockSize - 1);
    Bytes buf(last - first);
    mc_.read(SysPhysAddr(first), buf, t.tag);  // read-modify-write of partial blocks
    std::copy(in.begin(), in.end(), buf.begin() + static_cast<long>(t.pa.value - first));
    mc_.write(SysPhysAddr(first), buf, t.tag);
  } else {
    mc_.write(t.pa, in, t.tag);
  }
}

}  // namespace cbit::hw
