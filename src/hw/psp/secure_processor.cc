#include "hw/psp/secure_processor.h"

namespace cbit::hw::psp {

SecureProcessor::SecureProcessor(MemoryController& mc, std::optional<uint64_t> seed,
                                 KeyLength host_key_length)
    : mc_(mc), rng_(seed), host_key_length_(host_key_length) {
  reset();
}

void SecureProcessor::reset() {
  ++resets_;
  for (uint32_t slot = 1; slot < mc_.key_slots(); ++slot) mc_.clear_key(KeyId(slot), slot_access());
  mc_.load_key(KeyId::host(), KeyMaterial::generate(rng_, kHostKeyLabel, host_key_length_),
               slot_access());
}

}  // namespace cbit::hw::psp
