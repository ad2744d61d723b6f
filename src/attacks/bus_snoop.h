// DRAM-interface snooping: a probe on the memory bus records what crosses it between the
// memory controller and the DIMMs. Attached as a BusObserver: it sees exactly the bytes on the
// wires (ciphertext for encrypted lines), in order.
#pragma once
#include <string>
#include <vector>

#include "attacks/finding.h"
#include "hw/memctrl/bus_observer.h"

namespace cbit::attacks {

class BusSnoop final : public hw::BusObserver {
 public:
  explicit BusSnoop(std::vector<std::string> needles, size_t max_bytes = 64u << 20)
      : needles_(std::move(needles)), max_bytes_(max_bytes) {}
  void on_dram_access(hw::BusDir dir, SysPhysAddr pa, ByteSpan raw) override;
  // The report of everything seen so far.
  AttackReport report() const;

 private:
  std::vector<std::string> needles_;
  size_t max_bytes_;
  AttackReport seen_{"bus-snoop", "", 0, 0, {}};
  uint64_t reads_ = 0, writes_ = 0;
};

}  // namespace cbit::attacks
