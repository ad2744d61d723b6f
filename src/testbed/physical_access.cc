#include "testbed/physical_access.h"

#include <algorithm>

namespace cbit::testbed {

PhysicalAccess::~PhysicalAccess() {
  for (auto* p : probes_) m_.memctrl().remove_observer(p);
}

hw::DmaDevice& PhysicalAccess::dma() {
  if (!dma_) dma_ = &m_.add_dma_device(device_name_, 64);
  return *dma_;
}

void PhysicalAccess::attach_bus_probe(hw::BusObserver& probe) {
  m_.memctrl().add_observer(&probe);
  probes_.push_back(&probe);
}

void PhysicalAccess::detach_bus_probe(hw::BusObserver& probe) {
  const auto it = std::find(probes_.begin(), probes_.end(), &probe);
  if (it == probes_.end()) return;
  probes_.erase(it);
  m_.memctrl().remove_observer(&probe);
}

}  // namespace cbit::testbed
