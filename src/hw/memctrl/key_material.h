// Key material for one memory-controller key slot. Write-only by construction: it can be made
// (by the Secure Processor, from its RNG) and moved into the memory controller, but no function
// returns its bytes. Only the AES engine, which expands it into round keys, may look inside.
// The bytes are wiped when the object dies.
#pragma once
#include <array>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"

namespace cbit::crypto {
class Drbg;
}

namespace cbit::hw {

enum class KeyLength : uint8_t { Aes128, Aes256 };

class KeyMaterial {
 public:
  // A data key and a tweak key, each 16 bytes (AES-128) or 32 bytes (AES-256).
  KeyMaterial(KeyLength len, ByteSpan data_key, ByteSpan tweak_key);
  // Fresh key material from the Secure Processor's RNG.
  static KeyMaterial generate(crypto::Drbg& rng, std::string_view label, KeyLength len);

  KeyMaterial(KeyMaterial&& other) noexcept;
  KeyMaterial& operator=(KeyMaterial&& other) noexcept;
  KeyMaterial(const KeyMaterial&) = delete;
  KeyMaterial& operator=(const KeyMaterial&) = delete;
  ~KeyMaterial();

  KeyLength length() const { return len_; }

 private:
  friend class AesEngine;
  KeyLength len_;
  std::array<uint8_t, 32> data_{};
  std::array<uint8_t, 32> tweak_{};
};

}  // namespace cbit::hw
