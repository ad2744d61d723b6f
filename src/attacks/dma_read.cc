#include "attacks/dma_read.h"

#include <algorithm>

#include "common/trace.h"

namespace cbit::attacks {

AttackReport dma_read(hw::DmaDevice& device, SysPhysAddr pa, uint64_t len,
                      const std::vector<std::string>& needles) {
  trace::Span span(trace::track::kAttacker, "attack", "DMA read");
  AttackReport r{"dma-read", "", 0, 0, {}};
  Bytes buf;
  for (uint64_t off = 0; off < len; off += kPageSize) {
    const uint64_t n = std::min<uint64_t>(kPageSize, len - off);
    buf.resize(n);
    try {
      device.dma_read(pa.value + off, buf);
    } catch (const hw::DmaFault&) {
      break;  // the rest is beyond what the device can address
    }
    r.bytes_seen += n;
    ++r.pages_seen;
    search_into(r, pa.value + off, buf, needles);
  }
  r.summary = device.name() + " read " + std::to_string(r.bytes_seen) + " bytes by DMA, " +
              std::to_string(r.hits.size()) + " secret hit(s)";
  span.end({{"device", device.name()}, {"bytes", r.bytes_seen}, {"hits", r.hits.size()}});
  return r;
}

}  // namespace cbit::attacks
