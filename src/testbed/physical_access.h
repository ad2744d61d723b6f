// The physical attacker's interfaces on a simulated machine (attacks::PhysicalAttacker): built
// by the code that owns the machine (a demo section, the SEV host), handed to the attacks. The
// attack gets the raw view, a DMA device it plugs in, and a probe on the DRAM bus; the Machine
// stays here.
#pragma once
#include <string>
#include <vector>

#include "attacks/attacker.h"
#include "hw/machine.h"

namespace cbit::testbed {

class PhysicalAccess final : public attacks::PhysicalAttacker {
 public:
  // `device`: the name of the attacker's bus master, plugged in at the first dma().
  PhysicalAccess(hw::Machine& m, std::string device) : m_(m), device_name_(std::move(device)) {}
  ~PhysicalAccess() override;  // detaches any probe still attached
  PhysicalAccess(const PhysicalAccess&) = delete;
  PhysicalAccess& operator=(const PhysicalAccess&) = delete;

  hw::RawPhysicalView raw() const override { return m_.raw_view(); }
  hw::DmaDevice& dma() override;
  void attach_bus_probe(hw::BusObserver& probe) override;
  void detach_bus_probe(hw::BusObserver& probe) override;
  uint64_t cbit_mask() const override { return m_.cbit_mask(); }

 private:
  hw::Machine& m_;
  std::string device_name_;
  hw::DmaDevice* dma_ = nullptr;
  std::vector<hw::BusObserver*> probes_;
};

}  // namespace cbit::testbed
