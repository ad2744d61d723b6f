// A bus-mastering device. It drives a bus address of at most `dma_mask_bits` bits; under SME a
// bus address with the C-bit set asks the memory controller to decrypt/encrypt with the host
// key (seed 000: "an encrypted memory access appears as a normal memory access with bit 47
// set"). A device whose mask cannot reach the C-bit can only see memory as stored: ciphertext
// for encrypted pages (linux-hardened#16, open-gpu-kernel-modules#340).
// DMA is I/O-coherent: the cache is snooped (every key's copy) around each transfer.
//
// SEV-SNP (APM §15.36.9; SNP-FACTS.md §1.5): once the RMP is enabled the IOMMU checks device
// writes against it. A write that touches any 4 KiB page which is not hypervisor-owned is
// blocked whole (nothing reaches memory) and reported as a DmaFault, like the device's other
// refused transfers. Reads are not checked: a device reads ciphertext as it did before SNP.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/addr.h"
#include "common/bytes.h"
#include "hw/mem_port.h"

namespace cbit::hw {

// Declared only: a device holds the wiring but hands neither out (attacks get a DmaDevice).
class MemoryController;
class Cache;
namespace rmp {
class Rmp;
}

// A transfer the device cannot put on the bus (an address beyond its DMA mask).
class DmaFault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DmaDevice {
 public:
  DmaDevice(std::string name, unsigned dma_mask_bits, MemoryController& mc, Cache& cache,
            unsigned cbit_position);

  const std::string& name() const { return name_; }
  unsigned dma_mask_bits() const { return mask_bits_; }
  uint64_t dma_mask() const { return mask_bits_ >= 64 ? ~0ull : (1ull << mask_bits_) - 1; }
  bool can_address(uint64_t bus_addr, uint64_t len) const {
    return len == 0 || (bus_addr <= dma_mask() && len - 1 <= dma_mask() - bus_addr);
  }

  // The platform's RMP, which the IOMMU consults for writes (Machine wires it).
  void attach_rmp(const rmp::Rmp* rmp) { rmp_ = rmp; }

  void dma_read(uint64_t bus_addr, MutByteSpan out);
  void dma_write(uint64_t bus_addr, ByteSpan in);

 private:
  struct Target {
    SysPhysAddr pa;
    EncTag tag;
  };
  Target decode(uint64_t bus_addr, uint64_t len) const;
  void rmp_check_write(SysPhysAddr pa, uint64_t len) const;

  std::string name_;
  unsigned mask_bits_;
  MemoryController& mc_;
  Cache& cache_;
  unsigned cbit_;
  const rmp::Rmp* rmp_ = nullptr;
};

}  // namespace cbit::hw
