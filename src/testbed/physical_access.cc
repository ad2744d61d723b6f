#include "testbed/physical_access.h"

#include <algorithm>

#include "common/trace.h"

namespace cbit::testbed {

PhysicalAccess::~PhysicalAccess() {
  for (auto* p : probes_) m_.memctrl().remove_observer(p);
}

hw::DmaDevice& PhysicalAccess::dma() {
  if (!dma_) {
    dma_ = &m_.add_dma_device(device_name_, 64);
    if (trace::on()) [[unlikely]]
      trace::instant(trace::track::kAttacker, "attack", "bus master plugged in",
                     {{"device", device_name_}, {"dma_mask_bits", 64}});
  }
  return *dma_;
}

void PhysicalAccess::attach_bus_probe(hw::BusObserver& probe) {
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kAttacker, "attack", "bus probe attached to the DRAM bus");
  m_.memctrl().add_observer(&probe);
  probes_.push_back(&probe);
}

void PhysicalAccess::detach_bus_probe(hw::BusObserver& probe) {
  const auto it = std::find(probes_.begin(), probes_.end(), &probe);
  if (it == probes_.end()) return;
  probes_.erase(it);
  if (trace::on()) [[unlikely]]
    trace::instant(trace::track::kAttacker, "attack", "bus probe detached");
  m_.memctrl().remove_observer(&probe);
}

}  // namespace cbit::testbed
