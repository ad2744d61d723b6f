#include "crypto/drbg.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "crypto/hash.h"

namespace cbit::crypto {

Drbg::Drbg(std::optional<uint64_t> seed) : seed_(seed) {}

void Drbg::generate(std::string_view label, MutByteSpan out) {
  if (!seed_) {
    CBIT_ASSERT(RAND_bytes(out.data(), static_cast<int>(out.size())) == 1);
    return;
  }
  // HMAC(seed, label || counter || block) in counter mode.
  uint8_t key[8];
  store_le(key, *seed_);
  const uint64_t call = counters_[std::string(label)]++;
  for (size_t off = 0, block = 0; off < out.size(); off += 32, ++block) {
    Bytes msg(label.begin(), label.end());
    msg.resize(label.size() + 16);
    store_le(msg.data() + label.size(), call);
    store_le(msg.data() + label.size() + 8, static_cast<uint64_t>(block));
    auto mac = hmac_sha256(ByteSpan(key, sizeof key), msg);
    std::memcpy(out.data() + off, mac.data(), std::min<size_t>(32, out.size() - off));
  }
}

}  // namespace cbit::crypto
