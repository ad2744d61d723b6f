// Observers of the DRAM interface: what crosses the wires between the memory controller and
// the DIMMs. They see raw bytes only (ciphertext for encrypted lines), never a key or a
// plaintext that the engine produced. A bus-snoop attack is one of these.
#pragma once
#include "common/addr.h"
#include "common/bytes.h"

namespace cbit::hw {

enum class BusDir { Read, Write };

class BusObserver {
 public:
  virtual ~BusObserver() = default;
  virtual void on_dram_access(BusDir dir, SysPhysAddr pa, ByteSpan raw) = 0;
};

}  // namespace cbit::hw
