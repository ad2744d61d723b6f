#include "sw/attest/secret_wrap.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <algorithm>
#include <initializer_list>
#include <memory>

#include "common/error.h"
#include "sw/attest/report_binding.h"

namespace cbit::sw::attest {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using KdfPtr = std::unique_ptr<EVP_KDF, Deleter<EVP_KDF, EVP_KDF_free>>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>>;

// Wipes a key on every way out of the scope.
struct SecretBytes {
  Bytes b;
  explicit SecretBytes(size_t n) : b(n) {}
  ~SecretBytes() { OPENSSL_cleanse(b.data(), b.size()); }
};

// ECDH shared secret; nullopt when the peer key is unusable (not on our curve).
std::optional<Bytes> ecdh(EVP_PKEY* own, EVP_PKEY* peer) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    psp::openssl_error();
    return std::nullopt;
  }
  Bytes z(len);
  if (EVP_PKEY_derive(ctx.get(), z.data(), &len) != 1) {
    psp::openssl_error();
    return std::nullopt;
  }
  z.resize(len);
  return z;
}

void hkdf_sha384(ByteSpan ikm, ByteSpan info, MutByteSpan out) {
  KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  KdfCtxPtr ctx(kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  char digest[] = "SHA384";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
                         OSSL_PARAM_construct_end()};
  psp::ossl_check(ctx && EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1,
                  "HKDF-SHA-384");
}

// Appends pieces into one buffer sized up front (GCC 12's -Warray-bounds misreads
// vector::insert on a freshly sized vector).
Bytes concat(std::initializer_list<ByteSpan> parts) {
  size_t n = 0;
  for (ByteSpan p : parts) n += p.size();
  Bytes out(n);
  size_t at = 0;
  for (ByteSpan p : parts) {
    std::copy(p.begin(), p.end(), out.begin() + static_cast<long>(at));
    at += p.size();
  }
  return out;
}

Bytes label_then(ByteSpan a, ByteSpan b) { return concat({as_bytes(kWrapLabel), a, b}); }

// K from Z and both public keys.
void wrap_key(ByteSpan z, ByteSpan rp_spki, ByteSpan guest_spki, MutByteSpan key) {
  hkdf_sha384(z, label_then(rp_spki, guest_spki), key);
}

}  // namespace

Bytes wrap_aad(ByteSpan report_id, ByteSpan measurement) {
  return label_then(report_id, measurement);
}

Bytes WrappedSecret::serialize() const {
  uint8_t len16[2], len32[4];
  store_le<uint16_t>(len16, static_cast<uint16_t>(rp_public_key.size()));
  store_le<uint32_t>(len32, static_cast<uint32_t>(ciphertext.size()));
  return concat({len16, rp_public_key, iv, tag, len32, ciphertext});
}

std::optional<WrappedSecret> WrappedSecret::parse(ByteSpan bytes) {
  WrappedSecret w;
  size_t pos = 0;
  auto take = [&](size_t n) -> std::optional<ByteSpan> {
    if (bytes.size() - pos < n) return std::nullopt;
    ByteSpan s = bytes.subspan(pos, n);
    pos += n;
    return s;
  };
  auto len16 = take(2);
  if (!len16) return std::nullopt;
  auto spki = take(load_le<uint16_t>(len16->data()));
  auto iv = take(w.iv.size());
  auto tag = take(w.tag.size());
  auto len32 = take(4);
  if (!spki || !iv || !tag || !len32) return std::nullopt;
  auto c = take(load_le<uint32_t>(len32->data()));
  if (!c || pos != bytes.size()) return std::nullopt;
  w.rp_public_key.assign(spki->begin(), spki->end());
  std::copy(iv->begin(), iv->end(), w.iv.begin());
  std::copy(tag->begin(), tag->end(), w.tag.begin());
  w.ciphertext.assign(c->begin(), c->end());
  return w;
}

WrappedSecret wrap_secret(ByteSpan secret, EVP_PKEY* guest_key, ByteSpan report_id,
                          ByteSpan measurement) {
  const Bytes guest_spki = spki_der(guest_key);
  if (!parse_p384_spki(guest_spki)) throw InputError("wrap_secret: the guest key is not EC P-384");
  psp::PkeyPtr e = generate_p384_key();
  WrappedSecret w;
  w.rp_public_key = spki_der(e.get());
  std::optional<Bytes> z = ecdh(e.get(), guest_key);
  if (!z) throw InputError("wrap_secret: ECDH with the guest key failed");
  SecretBytes key(32);
  wrap_key(*z, w.rp_public_key, guest_spki, key.b);
  OPENSSL_cleanse(z->data(), z->size());
  psp::ossl_check(RAND_bytes(w.iv.data(), static_cast<int>(w.iv.size())) == 1, "wrap IV");

  const Bytes aad = wrap_aad(report_id, measurement);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  w.ciphertext.resize(secret.size());
  psp::ossl_check(
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.b.data(), w.iv.data()) &&
          EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) &&
          EVP_EncryptUpdate(ctx.get(), w.ciphertext.data(), &len, secret.data(),
                            static_cast<int>(secret.size())) &&
          EVP_EncryptFinal_ex(ctx.get(), w.ciphertext.data() + len, &len) &&
          EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(w.tag.size()),
                              w.tag.data()),
      "AES-256-GCM wrap");
  return w;
}

std::optional<Bytes> unwrap_secret(const WrappedSecret& w, EVP_PKEY* guest_private_key,
                                   ByteSpan report_id, ByteSpan measurement) {
  psp::PkeyPtr e = parse_p384_spki(w.rp_public_key);
  if (!e || !guest_private_key) return std::nullopt;
  std::optional<Bytes> z = ecdh(guest_private_key, e.get());
  if (!z) return std::nullopt;
  SecretBytes key(32);
  wrap_key(*z, w.rp_public_key, spki_der(guest_private_key), key.b);
  OPENSSL_cleanse(z->data(), z->size());

  const Bytes aad = wrap_aad(report_id, measurement);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes plain(w.ciphertext.size());
  int len = 0;
  psp::ossl_check(
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.b.data(), w.iv.data()),
      "AES-256-GCM unwrap init");
  std::array<uint8_t, 16> tag = w.tag;
  const bool ok =
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) &&
      EVP_DecryptUpdate(ctx.get(), plain.data(), &len, w.ciphertext.data(),
                        static_cast<int>(w.ciphertext.size())) &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          tag.data()) &&
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &len) == 1;
  psp::openssl_error();
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  return plain;
}

}  // namespace cbit::sw::attest
