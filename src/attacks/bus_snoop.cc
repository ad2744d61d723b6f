#include "attacks/bus_snoop.h"

#include "common/trace.h"

namespace cbit::attacks {

void BusSnoop::on_dram_access(hw::BusDir dir, SysPhysAddr pa, ByteSpan raw) {
  (dir == hw::BusDir::Read ? reads_ : writes_)++;
  if (seen_.bytes_seen >= max_bytes_) return;  // the probe's buffer is full
  seen_.bytes_seen += raw.size();
  search_into(seen_, pa.value, raw, needles_);
}

AttackReport BusSnoop::report() const {
  AttackReport r = seen_;
  r.pages_seen = r.bytes_seen / kPageSize;
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kAttacker, "attack", "bus probe: what it captured",
                   {{"reads", reads_}, {"writes", writes_}, {"hits", r.hits.size()}});
  r.summary = std::to_string(reads_) + " reads and " + std::to_string(writes_) +
              " writes captured on the DRAM bus, " + std::to_string(r.hits.size()) +
              " secret hit(s)";
  return r;
}

}  // namespace cbit::attacks
