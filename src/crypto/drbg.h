// The random-number source of the simulated Secure Processor (and of anything else in the model
// that needs randomness). Seeded: a deterministic HMAC-SHA-256 generator, so a scenario's seed
// makes every key, nonce and report reproducible. Unseeded: the operating system's RNG
// (OpenSSL RAND_bytes), as a real part makes a fresh key at every reset.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace cbit::crypto {

class Drbg {
 public:
  explicit Drbg(std::optional<uint64_t> seed);
  // Fills out with random bytes. `label` separates independent streams of a seeded generator
  // (e.g. "sme-key" vs "mnonce"), so adding a consumer does not shift the others' values.
  void generate(std::string_view label, MutByteSpan out);
  bool seeded() const { return seed_.has_value(); }

 private:
  std::optional<uint64_t> seed_;
  std::map<std::string, uint64_t, std::less<>> counters_;
};

}  // namespace cbit::crypto
