#include "sw/host/nt_store.h"

#include <algorithm>

#include "hw/machine.h"
#include "sw/host/kernel.h"

namespace cbit::sw::host {

namespace {

constexpr uint64_t kRunMax = 1ull << 20;  // one memory-controller burst per run at most

// Calls fn(pa, c_bit, offset, n) for runs of pages that are physically contiguous and mapped
// with the same C-bit. Every page is translated (and permission-checked) first, so a fault
// leaves memory untouched, as Cpu::write_virt does.
template <typename Fn>
void for_each_run(HostKernel& k, VirtAddr dst, uint64_t len, Fn&& fn) {
  struct Run {
    SysPhysAddr pa;
    bool c;
    uint64_t off, n;
  };
  std::vector<Run> runs;
  auto& cpu = k.machine().cpu();
  for (uint64_t off = 0; off < len;) {
    const VirtAddr va = dst + off;
    const uint64_t n = std::min<uint64_t>(kPageSize - va.page_offset(), len - off);
    const hw::Translation t = cpu.translate(va, hw::Access::Write);
    if (!runs.empty()) {
      Run& r = runs.back();
      if (r.c == t.c_bit && r.pa.value + r.n == t.pa.value && r.n + n <= kRunMax) {
        r.n += n;
        off += n;
        continue;
      }
    }
    runs.push_back({t.pa, t.c_bit, off, n});
    off += n;
  }
  for (const Run& r : runs) fn(r.pa, r.c, r.off, r.n);
}

void store(HostKernel& k, SysPhysAddr pa, bool c_bit, ByteSpan data) {
  auto& m = k.machine();
  m.cache().snoop_for_dma(pa, data.size(), /*device_writes=*/true);
  m.memctrl().write(pa, data, m.memctrl().resolve(hw::MemAttr{c_bit, m.cpu().asid()}));
}

}  // namespace

// Whole lines go past the cache; a partial line at either end is stored through it (the
// write-combining buffer merges into the cached line there).
void memcpy_nt(HostKernel& k, VirtAddr dst, ByteSpan src) {
  const uint64_t head = std::min<uint64_t>(
      (kCacheLineSize - dst.value % kCacheLineSize) % kCacheLineSize, src.size());
  const uint64_t body = (src.size() - head) & ~(kCacheLineSize - 1);
  if (head) k.memcpy_to(dst, src.first(head));
  for_each_run(k, dst + head, body, [&](SysPhysAddr pa, bool c, uint64_t off, uint64_t n) {
    store(k, pa, c, src.subspan(head + off, n));
  });
  if (head + body < src.size()) k.memcpy_to(dst + head + body, src.subspan(head + body));
}

void memzero_nt(HostKernel& k, VirtAddr dst, uint64_t len) {
  static const Bytes zero(kRunMax, 0);
  const uint64_t head =
      std::min<uint64_t>((kCacheLineSize - dst.value % kCacheLineSize) % kCacheLineSize, len);
  const uint64_t body = (len - head) & ~(kCacheLineSize - 1);
  if (head) k.memcpy_to(dst, ByteSpan(zero).first(head));
  for_each_run(k, dst + head, body, [&](SysPhysAddr pa, bool c, uint64_t, uint64_t n) {
    store(k, pa, c, ByteSpan(zero).first(n));
  });
  if (head + body < len) k.memcpy_to(dst + head + body, ByteSpan(zero).first(len - head - body));
}

}  // namespace cbit::sw::host
