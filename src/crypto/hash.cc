#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "common/error.h"

namespace cbit::crypto {

namespace {
// The digests fetched once from the default provider: a legacy EVP_sha256() makes every
// EVP_DigestInit_ex look the algorithm up again (OpenSSL 3's implicit fetch).
const EVP_MD* fetched(Hasher::Algo algo) {
  static EVP_MD* const s256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  static EVP_MD* const s384 = EVP_MD_fetch(nullptr, "SHA2-384", nullptr);
  const EVP_MD* md = algo == Hasher::Algo::Sha256 ? s256 : s384;
  CBIT_ASSERT(md);
  return md;
}

template <size_t N>
std::array<uint8_t, N> digest(const EVP_MD* md, ByteSpan data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  CBIT_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  CBIT_ASSERT(len == N);
  return out;
}
}  // namespace

Sha256Digest sha256(ByteSpan data) { return digest<32>(fetched(Hasher::Algo::Sha256), data); }
Sha384Digest sha384(ByteSpan data) { return digest<48>(fetched(Hasher::Algo::Sha384), data); }

// HMAC (RFC 2104, FIPS 198-1) over SHA-256 computed from two digests: H((K ^ opad) ||
// H((K ^ ipad) || data)), K the key zero-padded to the 64-byte block (hashed first when longer).
// The same bytes as OpenSSL's HMAC(), without its per-call EVP_MAC_fetch: OpenSSL 3's HMAC()
// builds the MAC method store on its first call (~0.5 ms of a launch, the DRBG's first use) and
// looks the algorithm up again on every call.
Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) {
  constexpr size_t kBlock = 64;
  uint8_t k[kBlock] = {};
  if (key.size() > kBlock) {
    const auto kh = sha256(key);
    std::copy(kh.begin(), kh.end(), k);
  } else {
    std::copy(key.begin(), key.end(), k);
  }
  uint8_t pad[kBlock];
  Hasher inner(Hasher::Algo::Sha256);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x36;
  inner.update(ByteSpan(pad, kBlock));
  inner.update(data);
  const Bytes ih = inner.finish();
  Hasher outer(Hasher::Algo::Sha256);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k[i] ^ 0x5c;
  outer.update(ByteSpan(pad, kBlock));
  outer.update(ih);
  const Bytes oh = outer.finish();
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  Sha256Digest out{};
  std::copy(oh.begin(), oh.end(), out.begin());
  return out;
}

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(Algo algo) : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  CBIT_ASSERT(ctx_->md);
  CBIT_ASSERT(EVP_DigestInit_ex(ctx_->md, fetched(algo), nullptr) == 1);
}
Hasher::~Hasher() = default;

void Hasher::update(ByteSpan data) {
  CBIT_ASSERT(EVP_DigestUpdate(ctx_->md, data.data(), data.size()) == 1);
}

Bytes Hasher::finish() {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  CBIT_ASSERT(EVP_DigestFinal_ex(ctx_->md, out.data(), &len) == 1);
  out.resize(len);
  return out;
}

}  // namespace cbit::crypto
