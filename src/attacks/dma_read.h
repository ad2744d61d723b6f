// A malicious (or merely misconfigured) bus master reads physical memory by DMA. Without the
// C-bit in its bus addresses it gets memory as stored: ciphertext for SME-encrypted pages.
#pragma once
#include <string>
#include <vector>

#include "attacks/finding.h"
#include "hw/iommu/dma_device.h"

namespace cbit::attacks {

// Reads [pa, pa + len) through the device, without the C-bit (an attacker does not hold the
// host's mapping decisions, and an SEV guest's keys are never reachable by DMA at all).
AttackReport dma_read(hw::DmaDevice& device, SysPhysAddr pa, uint64_t len,
                      const std::vector<std::string>& needles);

}  // namespace cbit::attacks
