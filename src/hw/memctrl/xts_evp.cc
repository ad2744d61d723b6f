#include "hw/memctrl/xts_evp.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/addr.h"
#include "common/error.h"

namespace cbit::hw::xts {

namespace {

constexpr size_t kPageBlocks = kPageSize / kAesBlockSize;

EVP_CIPHER_CTX* make_ecb(KeyLength len, const uint8_t* key, int enc) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CBIT_ASSERT(ctx != nullptr);
  const EVP_CIPHER* c = len == KeyLength::Aes128 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
  CBIT_ASSERT(EVP_CipherInit_ex(ctx, c, nullptr, key, nullptr, enc) == 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  return ctx;
}

// OpenSSL 3 rejects XTS keys whose halves are equal (IEEE 1619 forbids them); the engine then
// falls back to composing XTS from ECB, which gives the same bytes the standard defines.
EVP_CIPHER_CTX* make_xts(KeyLength len, const uint8_t* k1, const uint8_t* k2, int enc) {
  const size_t n = len == KeyLength::Aes128 ? 16 : 32;
  uint8_t key[64];
  std::memcpy(key, k1, n);
  std::memcpy(key + n, k2, n);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CBIT_ASSERT(ctx != nullptr);
  const EVP_CIPHER* c = len == KeyLength::Aes128 ? EVP_aes_128_xts() : EVP_aes_256_xts();
  const bool ok = EVP_CipherInit_ex(ctx, c, nullptr, key, nullptr, enc) == 1;
  OPENSSL_cleanse(key, sizeof key);
  if (!ok) {
    ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

// 64-bit lanes: the byte loop does not vectorise at -O2 (a, b and out may alias).
void xor_blocks(const uint8_t* a, const uint8_t* b, uint8_t* out, size_t nblocks) {
  for (size_t i = 0; i < nblocks * kAesBlockSize; i += 8) {
    store_le<uint64_t>(out + i, load_le<uint64_t>(a + i) ^ load_le<uint64_t>(b + i));
  }
}

}  // namespace

EvpBackend::EvpBackend(KeyLength len, const uint8_t* k1, const uint8_t* k2)
    : k1_enc_(make_ecb(len, k1, 1)),
      k1_dec_(make_ecb(len, k1, 0)),
      k2_enc_(make_ecb(len, k2, 1)),
      xts_enc_(make_xts(len, k1, k2, 1)),
      xts_dec_(make_xts(len, k1, k2, 0)) {
  if (xts_enc_ == nullptr || xts_dec_ == nullptr) {  // both directions take the same route
    EVP_CIPHER_CTX_free(xts_enc_);
    EVP_CIPHER_CTX_free(xts_dec_);
    xts_enc_ = xts_dec_ = nullptr;
  }
}

EvpBackend::~EvpBackend() {
  // EVP_CIPHER_CTX_free cleanses the expanded keys.
  for (EVP_CIPHER_CTX* c : {k1_enc_, k1_dec_, k2_enc_, xts_enc_, xts_dec_}) EVP_CIPHER_CTX_free(c);
}

void EvpBackend::ecb(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out, size_t nblocks) const {
  int outl = 0;
  const int len = static_cast<int>(nblocks * kAesBlockSize);
  CBIT_ASSERT(EVP_CipherUpdate(ctx, out, &outl, in, len) == 1 && outl == len);
}

void EvpBackend::tweak_block(const uint8_t* in, uint8_t* out) const {
  std::lock_guard lock(mu_);
  ecb(k2_enc_, in, out, 1);
}

void EvpBackend::xex(const uint8_t* iv, unsigned first, const uint8_t* in, uint8_t* out,
                     size_t nblocks, bool enc) const {
  CBIT_ASSERT(first + nblocks <= kPageBlocks);
  std::lock_guard lock(mu_);
  EVP_CIPHER_CTX* whole = enc ? xts_enc_ : xts_dec_;
  if (first == 0 && nblocks == kPageBlocks && whole != nullptr) {
    // A whole data unit is exactly OpenSSL's XTS.
    CBIT_ASSERT(EVP_CipherInit_ex(whole, nullptr, nullptr, nullptr, iv, enc ? 1 : 0) == 1);
    int outl = 0;
    CBIT_ASSERT(EVP_CipherUpdate(whole, out, &outl, in, static_cast<int>(kPageSize)) == 1);
    CBIT_ASSERT(outl == static_cast<int>(kPageSize));
    return;
  }
  // A sub-range (OpenSSL's XTS always starts at block 0): C = E_K1(P ^ T_j) ^ T_j.
  alignas(64) uint8_t tw[kPageSize];
  ecb(k2_enc_, iv, tw, 1);
  Tweak t = mul_x_pow(Tweak::load(tw), first);
  for (size_t i = 0; i < nblocks; ++i) {
    t.store(tw + i * kAesBlockSize);
    t = mul_x_k(t, 1);
  }
  xor_blocks(in, tw, out, nblocks);
  ecb(enc ? k1_enc_ : k1_dec_, out, out, nblocks);
  xor_blocks(out, tw, out, nblocks);
}

void EvpBackend::xe(Tweak page, const uint8_t* offset_tweaks, const uint8_t* in, uint8_t* out,
                    size_t nblocks, bool enc) const {
  CBIT_ASSERT(nblocks <= kPageBlocks);
  alignas(64) uint8_t tw[kPageSize];
  for (size_t i = 0; i < nblocks; ++i) {
    (Tweak::load(offset_tweaks + i * kAesBlockSize) ^ page).store(tw + i * kAesBlockSize);
  }
  std::lock_guard lock(mu_);
  if (enc) {  // C = E_K1(P ^ T)
    xor_blocks(in, tw, out, nblocks);
    ecb(k1_enc_, out, out, nblocks);
  } else {  // P = D_K1(C) ^ T
    ecb(k1_dec_, in, out, nblocks);
    xor_blocks(out, tw, out, nblocks);
  }
}

}  // namespace cbit::hw::xts
