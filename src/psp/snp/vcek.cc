#include "psp/snp/vcek.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <stdexcept>

#include "crypto/hash.h"
#include "psp/certs/sim_chain.h"
#include "psp/snp/nist_kdf.h"

namespace cbit::psp::snp {

namespace {

constexpr unsigned kComponents = 8;
constexpr unsigned kMaxSvn = 255;
constexpr size_t kKeygenExtraBytes = 8;  // ASPFW ECC_KEYGEN_EXTRA_BYTES

uint8_t svn(uint64_t tcb, unsigned i) { return static_cast<uint8_t>(tcb >> (8 * i)); }

// SHA-384 applied `times` times, in place.
void hash_n(Hashstick& h, unsigned times) {
  for (unsigned k = 0; k < times; ++k) h = crypto::sha384(h);
}

// The next component's base: SHA-384 of 64 zero bits then d (ASPFW compute_next_stick_base).
Hashstick next_base(const Hashstick& d) {
  std::array<uint8_t, 8 + kHashstickSize> in{};
  std::copy(d.begin(), d.end(), in.begin() + 8);
  Hashstick b = crypto::sha384(in);
  OPENSSL_cleanse(in.data(), in.size());
  return b;
}

}  // namespace

std::array<Hashstick, 8> snp_hashstick_chain(ByteSpan secret, uint64_t tcb) {
  if (secret.size() != kChipSecretSize)
    throw std::invalid_argument("hashstick chain: the secret is not 48 bytes");
  std::array<Hashstick, 8> sticks{};
  Hashstick base;
  std::copy(secret.begin(), secret.end(), base.begin());
  for (unsigned i = 0; i < kComponents; ++i) {
    Hashstick d = base;
    hash_n(d, kMaxSvn - svn(tcb, i));
    if (i + 1 < kComponents) base = next_base(d);
    sticks[i] = crypto::sha384(d);
    OPENSSL_cleanse(d.data(), d.size());
  }
  OPENSSL_cleanse(base.data(), base.size());
  return sticks;
}

VcekHashsticks VcekHashsticks::from_chip_secret(ByteSpan chip_secret, uint64_t top) {
  VcekHashsticks s;
  s.top_ = top;
  s.sticks_ = snp_hashstick_chain(chip_secret, top);
  return s;
}

VcekHashsticks::VcekHashsticks(VcekHashsticks&& o) noexcept : sticks_(o.sticks_), top_(o.top_) {
  OPENSSL_cleanse(o.sticks_.data(), sizeof(o.sticks_));
}

VcekHashsticks& VcekHashsticks::operator=(VcekHashsticks&& o) noexcept {
  if (this != &o) {
    sticks_ = o.sticks_;
    top_ = o.top_;
    OPENSSL_cleanse(o.sticks_.data(), sizeof(o.sticks_));
  }
  return *this;
}

VcekHashsticks::~VcekHashsticks() { OPENSSL_cleanse(sticks_.data(), sizeof(sticks_)); }

std::optional<Hashstick> VcekHashsticks::derive(uint64_t tcb) const {
  if (tcb_raw_above(tcb, top_)) return std::nullopt;
  unsigned j = 0;
  while (j < kComponents && svn(tcb, j) == svn(top_, j)) ++j;
  if (j == kComponents) return sticks_[kComponents - 1];
  // d_j at the older SVN: stick_j(top) = SHA384^(256 - top_j)(B_j), so hashing it
  // (top_j - v_j - 1) more times gives SHA384^(255 - v_j)(B_j) (ASPFW hashstick_extend).
  Hashstick d = sticks_[j];
  hash_n(d, svn(top_, j) - svn(tcb, j) - 1u);
  for (unsigned i = j + 1; i < kComponents; ++i) {
    Hashstick base = next_base(d);
    d = base;
    hash_n(d, kMaxSvn - svn(tcb, i));
    OPENSSL_cleanse(base.data(), base.size());
  }
  Hashstick stick = crypto::sha384(d);
  OPENSSL_cleanse(d.data(), d.size());
  return stick;
}

PkeyPtr snp_key_from_hashstick(const Hashstick& stick, std::string_view label) {
  std::array<uint8_t, 48 + kKeygenExtraBytes> seed{};
  snp_nist_kdf(seed, stick, as_bytes(label), {});
  PkeyPtr key = p384_key_from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

bool tcb_raw_above(uint64_t a, uint64_t b) {
  for (unsigned i = 0; i < kComponents; ++i)
    if (svn(a, i) > svn(b, i)) return true;
  return false;
}

}  // namespace cbit::psp::snp
