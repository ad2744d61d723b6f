#include "hw/psp/sev/snp_id_block.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

namespace cbit::hw::psp::sev {
namespace {

constexpr size_t kComponent = 72;  // R, S, QX, QY fields
constexpr size_t kP384 = 48;

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// The public key of the SNP layout as an EVP_PKEY; nullptr for a wrong curve or a point that is
// not on P-384.
Ptr<EVP_PKEY> load_public_key(ByteSpan k) {
  if (load_le<uint32_t>(k.data()) != kSnpCurveP384) return nullptr;
  for (size_t i = kP384; i < kComponent; ++i)
    if (k[4 + i] || k[0x4C + i]) return nullptr;
  uint8_t point[1 + 2 * kP384];
  point[0] = 0x04;
  for (size_t i = 0; i < kP384; ++i) {
    point[1 + i] = k[4 + kP384 - 1 - i];
    point[1 + kP384 + i] = k[0x4C + kP384 - 1 - i];
  }
  char group[] = "secp384r1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
      OSSL_PARAM_construct_end()};
  Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
    return nullptr;
  Ptr<EVP_PKEY> out(key);
  Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return out;
}

bool verify(ByteSpan msg, ByteSpan sig, EVP_PKEY* key) {
  Ptr<BIGNUM> r(BN_lebin2bn(sig.data(), kComponent, nullptr));
  Ptr<BIGNUM> s(BN_lebin2bn(sig.data() + kComponent, kComponent, nullptr));
  Ptr<ECDSA_SIG> es(ECDSA_SIG_new());
  if (!r || !s || !es || !ECDSA_SIG_set0(es.get(), r.get(), s.get())) return false;
  r.release();
  s.release();
  const int len = i2d_ECDSA_SIG(es.get(), nullptr);
  if (len <= 0) return false;
  Bytes der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_ECDSA_SIG(es.get(), &p);
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), der.data(), der.size(), msg.data(), msg.size()) == 1;
}

void sign(ByteSpan msg, EVP_PKEY* key, uint8_t* out) {
  Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()) != 1)
    return;
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, msg.data(), msg.size()) != 1) return;
  const uint8_t* p = der.data();
  Ptr<ECDSA_SIG> es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!es) return;
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(es.get(), &r, &s);
  BN_bn2lebinpad(r, out, kComponent);
  BN_bn2lebinpad(s, out + kComponent, kComponent);
}

}  // namespace

Bytes snp_public_key(EVP_PKEY* key) {
  Bytes out(kSnpPubKeySize, 0);
  store_le(out.data(), kSnpCurveP384);
  BIGNUM *x = nullptr, *y = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
      EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1) {
    BN_bn2lebinpad(x, out.data() + 4, kComponent);
    BN_bn2lebinpad(y, out.data() + 0x4C, kComponent);
  }
  BN_free(x);
  BN_free(y);
  return out;
}

Bytes make_id_auth(ByteSpan id_block, EVP_PKEY* id_key, EVP_PKEY* author_key) {
  Bytes a(kIdAuthSize, 0);
  store_le(a.data(), kSnpAlgoEcdsaP384Sha384);
  sign(id_block, id_key, a.data() + kIdAuthIdBlockSig);
  const Bytes idk = snp_public_key(id_key);
  std::copy(idk.begin(), idk.end(), a.begin() + kIdAuthIdKey);
  if (author_key) {
    store_le(a.data() + 4, kSnpAlgoEcdsaP384Sha384);
    sign(idk, author_key, a.data() + kIdAuthIdKeySig);
    const Bytes ak = snp_public_key(author_key);
    std::copy(ak.begin(), ak.end(), a.begin() + kIdAuthAuthorKey);
  }
  return a;
}

SevStatus verify_id_auth(ByteSpan id_block, ByteSpan id_auth, bool author_key_en,
                         crypto::Sha384Digest* id_key_digest,
                         crypto::Sha384Digest* author_key_digest) {
  if (load_le<uint32_t>(id_auth.data()) != kSnpAlgoEcdsaP384Sha384 ||
      (author_key_en && load_le<uint32_t>(id_auth.data() + 4) != kSnpAlgoEcdsaP384Sha384))
    return SevStatus::InvalidParam;
  const ByteSpan idk = id_auth.subspan(kIdAuthIdKey, kSnpPubKeySize);
  Ptr<EVP_PKEY> id_key = load_public_key(idk);
  if (!id_key || !verify(id_block, id_auth.subspan(kIdAuthIdBlockSig, kSnpSigSize), id_key.get()))
    return SevStatus::BadSignature;
  *id_key_digest = crypto::sha384(idk);
  *author_key_digest = {};
  if (author_key_en) {
    const ByteSpan ak = id_auth.subspan(kIdAuthAuthorKey, kSnpPubKeySize);
    Ptr<EVP_PKEY> author = load_public_key(ak);
    if (!author || !verify(idk, id_auth.subspan(kIdAuthIdKeySig, kSnpSigSize), author.get()))
      return SevStatus::BadSignature;
    *author_key_digest = crypto::sha384(ak);
  }
  return SevStatus::Success;
}

}  // namespace cbit::hw::psp::sev
