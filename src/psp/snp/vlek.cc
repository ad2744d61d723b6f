#include "psp/snp/vlek.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "psp/certs/ossl.h"
#include "psp/snp/nist_kdf.h"

namespace cbit::psp::snp {

namespace {

constexpr size_t kIv = 0x000, kSticks = 0x010, kTcb = 0x190, kTag = 0x1A0, kAadSize = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::array<uint8_t, 32> wrapping_key(const Hashstick& vcek_stick) {
  std::array<uint8_t, 32> k{};
  snp_nist_kdf(k, vcek_stick, as_bytes(kVlekWrappingLabel), {});
  return k;
}

}  // namespace

Bytes snp_vlek_wrap(const Hashstick& vcek_stick, uint64_t tcb, const VlekSticks& sticks,
                    ByteSpan iv) {
  if (iv.size() != 12) throw std::invalid_argument("snp_vlek_wrap: the IV is not 12 bytes");
  Bytes w(kVlekWrappedSize, 0);
  std::copy(iv.begin(), iv.end(), w.begin() + kIv);
  store_le<uint64_t>(w.data() + kTcb, tcb);
  auto key = wrapping_key(vcek_stick);
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ossl_check(ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
                 EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
                 EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), iv.data()) == 1 &&
                 EVP_EncryptUpdate(ctx.get(), nullptr, &len, w.data() + kTcb, kAadSize) == 1 &&
                 EVP_EncryptUpdate(ctx.get(), w.data() + kSticks, &len,
                                   reinterpret_cast<const uint8_t*>(sticks.data()),
                                   static_cast<int>(kVlekSticksSize)) == 1 &&
                 EVP_EncryptFinal_ex(ctx.get(), w.data() + kSticks + len, &len) == 1 &&
                 EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, w.data() + kTag) == 1,
             "VLEK wrap (AES-256-GCM)");
  OPENSSL_cleanse(key.data(), key.size());
  return w;
}

std::optional<uint64_t> snp_vlek_wrapped_tcb(ByteSpan wrapped) {
  if (wrapped.size() != kVlekWrappedSize) return std::nullopt;
  return load_le<uint64_t>(wrapped.data() + kTcb);
}

std::optional<VlekSticks> snp_vlek_unwrap(const Hashstick& vcek_stick, ByteSpan wrapped) {
  if (wrapped.size() != kVlekWrappedSize) return std::nullopt;
  auto key = wrapping_key(vcek_stick);
  VlekSticks sticks{};
  auto* out = reinterpret_cast<uint8_t*>(sticks.data());
  std::array<uint8_t, 16> tag;
  std::copy_n(wrapped.data() + kTag, tag.size(), tag.begin());
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  ossl_check(
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) &&
          EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
          EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), wrapped.data() + kIv) == 1 &&
          EVP_DecryptUpdate(ctx.get(), nullptr, &len, wrapped.data() + kTcb, kAadSize) == 1 &&
          EVP_DecryptUpdate(ctx.get(), out, &len, wrapped.data() + kSticks,
                            static_cast<int>(kVlekSticksSize)) == 1 &&
          EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1,
      "VLEK unwrap (AES-256-GCM)");
  const bool ok = EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) {
    OPENSSL_cleanse(sticks.data(), sizeof(sticks));
    return std::nullopt;
  }
  return sticks;
}

}  // namespace cbit::psp::snp
