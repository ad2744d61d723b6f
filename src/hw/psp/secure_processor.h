// The AMD Secure Processor (AMD-SP, "PSP"): owns the platform's keys and is the only component
// that may load the memory controller's key slots.
//
// At every reset it draws a fresh host key from its RNG and loads it into slot 0: the key SME
// and TSME share (SPEC-FACTS.md "The C-bit and who decides encryption"). The key never leaves:
// no function returns it, and nothing logs it. Seeded runs are reproducible; each reset still
// gets a new key (the seeded generator's stream moves on).
//
// The SEV/SNP firmware API (mailbox commands, guest contexts) builds on this class.
#pragma once
#include <cstdint>
#include <optional>

#include "crypto/drbg.h"
#include "hw/memctrl/memory_controller.h"

namespace cbit::hw::psp {

namespace sev {
class SevFirmware;
}

class SecureProcessor {
 public:
  SecureProcessor(MemoryController& mc, std::optional<uint64_t> seed,
                  KeyLength host_key_length = KeyLength::Aes128);
  SecureProcessor(const SecureProcessor&) = delete;
  SecureProcessor& operator=(const SecureProcessor&) = delete;

  // Platform reset: a new host key in slot 0, every guest slot cleared.
  void reset();
  uint64_t resets() const { return resets_; }

  // Label under which the host key of each reset is drawn (a seeded test re-derives it to
  // prove the key bytes never reach memory, a dump, or a log).
  static constexpr const char* kHostKeyLabel = "sme-host-key";

 protected:
  // The SEV firmware (hw/psp/sev/) runs on this processor: it draws from the same RNG and loads
  // guest keys into the key slots. Nothing else gets at these members.
  friend class sev::SevFirmware;
  MemoryController& mc_;
  crypto::Drbg rng_;
  KeyLength host_key_length_;
  uint64_t resets_ = 0;
  KeySlotAccess slot_access() const { return KeySlotAccess(); }
};

}  // namespace cbit::hw::psp
