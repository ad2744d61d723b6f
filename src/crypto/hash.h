// SHA-256, SHA-384 and HMAC-SHA-256, through OpenSSL 3's EVP interface.
#pragma once
#include <array>
#include <cstdint>
#include <memory>

#include "common/bytes.h"

namespace cbit::crypto {

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;

Sha256Digest sha256(ByteSpan data);
Sha384Digest sha384(ByteSpan data);
Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data);

// Incremental hashing, for data that arrives in pieces.
class Hasher {
 public:
  enum class Algo { Sha256, Sha384 };
  explicit Hasher(Algo algo);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void update(ByteSpan data);
  Bytes finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace cbit::crypto
