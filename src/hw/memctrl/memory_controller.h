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
namespace rmp {
class Rmp;
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

  // A BadRAM DIMM (De Meulemeester et al., IEEE S&P 2025): its SPD claims one more row bit
  // than the chips have, so the BIOS maps twice its size and the DIMM ignores that address
  // bit: SPA and SPA | alias_bit reach the same cell. 0 = an honest DIMM. The AES engine
  // still tweaks with the system address the access carries.
  void set_dimm_alias_bit(uint64_t bit_mask) { alias_mask_ = bit_mask; }
  uint64_t dimm_alias_bit() const { return alias_mask_; }

  // Ciphertext hiding (SNP-FACTS.md §1.5, §7; Linux kvm-amd.ciphertext_hiding_asids): on parts
  // that have it (CpuModel::ciphertext_hiding), the SNP firmware marks the ASID of a guest
  // launched with policy bit 24 when SNP_INIT_EX enabled it; from then on every access to a page
  // the RMP assigns to that ASID that does not carry the ASID's own key -- a host read with or
  // without the host key, a device's DMA -- returns 0xFF bytes. The cells, a DRAM probe and the
  // guest itself are unaffected. The Machine wires the RMP; only the Secure Processor marks.
  void attach_rmp(const rmp::Rmp* rmp) { rmp_ = rmp; }
  void set_ciphertext_hidden(Asid asid, bool hidden, KeySlotAccess);
  bool ciphertext_hidden(Asid asid) const;
  // Whether any ASID is hidden (reads then consult the RMP).
  bool ciphertext_hiding_active() const { return any_hidden_; }

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

  // The DIMM's decoding of a system address (the alias bit dropped).
  SysPhysAddr dimm_address(SysPhysAddr pa) const {
    return alias_mask_ && pa.value >= dram_.size() && pa.value < 2 * dram_.size()
               ? SysPhysAddr(pa.value & ~alias_mask_)
               : pa;
  }

  // Ciphertext hiding: whether [pa, pa+n) (inside one page) belongs to a hidden ASID other
  // than the one whose key `tag` names.
  bool hidden_from(SysPhysAddr pa, EncTag tag) const;
  void read_unhidden(SysPhysAddr pa, MutByteSpan out, EncTag tag);

  Dram& dram_;
  Nvdimm* nvdimm_;
  uint64_t alias_mask_ = 0;
  const rmp::Rmp* rmp_ = nullptr;
  std::vector<bool> hidden_;  // per ASID (index = ASID); empty while nothing is hidden
  bool any_hidden_ = false;
  CipherMode cipher_;
  bool tsme_;
  std::vector<std::unique_ptr<AesEngine>> engines_;
  std::vector<BusObserver*> observers_;
  WriteTracker tracker_;
};

}  // namespace cbit::hw
