// The memory controller: routes physical accesses to DRAM or the NVDIMM, and passes encrypted
// ones through the AES engine with the key in the slot the access names (APM 15.34).
//
// Key slots are write-only: the Secure Processor loads them (holding a KeySlotAccess, which
// only it can make); nothing reads a key back. Slot 0 holds the host key shared by SME and
// TSME; slot n holds the key of SEV ASID n.
//
// TSME is a firmware setting: every host access is encrypted with the slot-0 key whatever the
// C-bit says.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "hw/dram/dram.h"
#include "hw/dram/nvdimm.h"
#include "hw/mem_port.h"
#include "hw/memctrl/aes_engine.h"
#include "hw/memctrl/bus_observer.h"
#include "hw/memctrl/write_tracker.h"

namespace cbit::hw {

namespace psp {
class SecureProcessor;
}

// Passkey: only the Secure Processor can load or clear a key slot.
class KeySlotAccess {
  friend class psp::SecureProcessor;
  KeySlotAccess() = default;
};

class MemoryController {
 public:
  MemoryController(Dram& dram, Nvdimm* nvdimm, CipherMode cipher, uint32_t key_slots, bool tsme);
  MemoryController(const MemoryController&) = delete;
  MemoryController& operator=(const MemoryController&) = delete;

  // The key an access uses, from the C-bit and ASID it carries.
  EncTag resolve(MemAttr attr) const;

  // Accesses in 16-byte granules (the AES block); ranges may span pages.
  void read(SysPhysAddr pa, MutByteSpan out, EncTag tag);
  void write(SysPhysAddr pa, ByteSpan in, EncTag tag);
  bool is_backed(SysPhysAddr pa, uint64_t len) const;

  void load_key(KeyId slot, KeyMaterial&& key, KeySlotAccess);
  void clear_key(KeyId slot, KeySlotAccess);
  bool key_loaded(KeyId slot) const;
  uint32_t key_slots() const { return static_cast<uint32_t>(engines_.size()); }

  bool tsme() const { return tsme_; }
  CipherMode cipher() const { return cipher_; }

  void add_observer(BusObserver* obs) { observers_.push_back(obs); }
  void remove_observer(BusObserver* obs);
  // Whether a bus observer (probe, interposer) sees the DRAM accesses.
  bool observed() const { return !observers_.empty(); }

  // Debug view: which key slot last wrote each line (slot numbers only).
  const WriteTracker& write_tracker() const { return tracker_; }
  void clear_tracking() { tracker_.clear(); }  // DRAM lost power

 private:
  template <typename Fn>
  void for_each_page_chunk(SysPhysAddr pa, size_t len, Fn&& fn);
  void raw_read(SysPhysAddr pa, MutByteSpan out);
  void raw_write(SysPhysAddr pa, ByteSpan in);
  bool direct_dram(SysPhysAddr pa, size_t len) const;
  const AesEngine& engine(KeyId slot) const;

  Dram& dram_;
  Nvdimm* nvdimm_;
  CipherMode cipher_;
  bool tsme_;
  std::vector<std::unique_ptr<AesEngine>> engines_;
  std::vector<BusObserver*> observers_;
  WriteTracker tracker_;
};

}  // namespace cbit::hw
