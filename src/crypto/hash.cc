#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/error.h"

namespace cbit::crypto {

namespace {
template <size_t N>
std::array<uint8_t, N> digest(const EVP_MD* md, ByteSpan data) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  CBIT_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) == 1);
  CBIT_ASSERT(len == N);
  return out;
}
}  // namespace

Sha256Digest sha256(ByteSpan data) { return digest<32>(EVP_sha256(), data); }
Sha384Digest sha384(ByteSpan data) { return digest<48>(EVP_sha384(), data); }

Sha256Digest hmac_sha256(ByteSpan key, ByteSpan data) {
  Sha256Digest out{};
  unsigned int len = 0;
  CBIT_ASSERT(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
                   out.data(), &len) != nullptr);
  CBIT_ASSERT(len == out.size());
  return out;
}

struct Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Hasher::Hasher(Algo algo) : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  CBIT_ASSERT(ctx_->md);
  CBIT_ASSERT(EVP_DigestInit_ex(ctx_->md, algo == Algo::Sha256 ? EVP_sha256() : EVP_sha384(),
                                nullptr) == 1);
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
