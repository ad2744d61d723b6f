#include "hw/memctrl/key_material.h"

#include <openssl/crypto.h>

#include <cstring>

#include "common/error.h"
#include "crypto/drbg.h"

namespace cbit::hw {

namespace {

size_t key_bytes(KeyLength len) { return len == KeyLength::Aes128 ? 16 : 32; }

}  // namespace

KeyMaterial::KeyMaterial(KeyLength len, ByteSpan data_key, ByteSpan tweak_key) : len_(len) {
  // A wrong size is a simulator bug (keys come from the Secure Processor, never from the user).
  CBIT_ASSERT(data_key.size() == key_bytes(len));
  CBIT_ASSERT(tweak_key.size() == key_bytes(len));
  std::memcpy(data_.data(), data_key.data(), data_key.size());
  std::memcpy(tweak_.data(), tweak_key.data(), tweak_key.size());
}

KeyMaterial KeyMaterial::generate(crypto::Drbg& rng, std::string_view label, KeyLength len) {
  // One draw for both halves, so a label's stream advances once per key.
  uint8_t buf[64];
  const size_t n = key_bytes(len);
  rng.generate(label, MutByteSpan(buf, 2 * n));
  KeyMaterial key(len, ByteSpan(buf, n), ByteSpan(buf + n, n));
  OPENSSL_cleanse(buf, sizeof buf);
  return key;
}

KeyMaterial::KeyMaterial(KeyMaterial&& other) noexcept
    : len_(other.len_), data_(other.data_), tweak_(other.tweak_) {
  OPENSSL_cleanse(other.data_.data(), other.data_.size());
  OPENSSL_cleanse(other.tweak_.data(), other.tweak_.size());
}

KeyMaterial& KeyMaterial::operator=(KeyMaterial&& other) noexcept {
  if (this != &other) {
    len_ = other.len_;
    data_ = other.data_;
    tweak_ = other.tweak_;
    OPENSSL_cleanse(other.data_.data(), other.data_.size());
    OPENSSL_cleanse(other.tweak_.data(), other.tweak_.size());
  }
  return *this;
}

KeyMaterial::~KeyMaterial() {
  OPENSSL_cleanse(data_.data(), data_.size());
  OPENSSL_cleanse(tweak_.data(), tweak_.size());
}

}  // namespace cbit::hw
