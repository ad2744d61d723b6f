// The portable backend of the AES engine: every AES block goes through OpenSSL EVP. The contexts
// are keyed once (no per-call allocation) and shared under a mutex, since EVP contexts carry state.
#pragma once
#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "hw/memctrl/key_material.h"
#include "hw/memctrl/xts_tweak.h"

namespace cbit::hw::xts {

class EvpBackend {
 public:
  // k1 is the data key, k2 the tweak key, each 16 or 32 bytes per `len`.
  EvpBackend(KeyLength len, const uint8_t* k1, const uint8_t* k2);
  ~EvpBackend();
  EvpBackend(const EvpBackend&) = delete;
  EvpBackend& operator=(const EvpBackend&) = delete;

  // out = E_K2(in), one block (tweak derivation).
  void tweak_block(const uint8_t* in, uint8_t* out) const;
  // XEX (XTS): blocks first..first+nblocks-1 of the data unit with sector number `iv`.
  void xex(const uint8_t* iv, unsigned first, const uint8_t* in, uint8_t* out, size_t nblocks,
           bool enc) const;
  // XE: block i uses tweak page ^ offset_tweaks[i].
  void xe(Tweak page, const uint8_t* offset_tweaks, const uint8_t* in, uint8_t* out, size_t nblocks,
          bool enc) const;

 private:
  void ecb(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t nblocks) const;

  mutable std::mutex mu_;
  EVP_CIPHER_CTX* k1_enc_ = nullptr;
  EVP_CIPHER_CTX* k1_dec_ = nullptr;
  EVP_CIPHER_CTX* k2_enc_ = nullptr;
  // OpenSSL's XTS for whole pages; null when OpenSSL refuses the keys (K1 == K2).
  EVP_CIPHER_CTX* xts_enc_ = nullptr;
  EVP_CIPHER_CTX* xts_dec_ = nullptr;
};

}  // namespace cbit::hw::xts
