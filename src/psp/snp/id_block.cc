#include "psp/snp/id_block.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "crypto/hash.h"

namespace cbit::psp::snp {

using hw::psp::sev::SevStatus;

namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using SigPtr = std::unique_ptr<ECDSA_SIG, SigFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

constexpr size_t kP384Bytes = 48;

bool is_p384(EVP_PKEY* key) {
  if (!key || !EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {};
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len))
    return false;
  return std::strcmp(group, "secp384r1") == 0 || std::strcmp(group, "P-384") == 0;
}

// The public key of a 0x404-byte key field, or null when the curve is not P-384 or (QX, QY) is
// not a point of the curve (AMD-ASPFW: "Verify the point is on the curve").
PkeyPtr pubkey_from_field(const std::array<uint8_t, kIdKeySize>& f) {
  if (load_le<uint32_t>(f.data()) != kEccCurveP384) return nullptr;
  const uint8_t* qx = f.data() + 4;
  const uint8_t* qy = f.data() + 4 + kEccComponentSize;
  auto high_zero = [](const uint8_t* q) {
    return std::all_of(q + kP384Bytes, q + kEccComponentSize, [](uint8_t b) { return b == 0; });
  };
  if (!high_zero(qx) || !high_zero(qy)) return nullptr;
  uint8_t point[1 + 2 * kP384Bytes];
  point[0] = 0x04;  // uncompressed
  for (size_t i = 0; i < kP384Bytes; ++i) {
    point[1 + i] = qx[kP384Bytes - 1 - i];
    point[1 + kP384Bytes + i] = qy[kP384Bytes - 1 - i];
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
    return nullptr;
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    openssl_error();  // an off-curve point leaves an error on the queue; drop it
    return nullptr;
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    openssl_error();
    return nullptr;
  }
  return key;
}

// Verifies an ECDSA P-384/SHA-384 signature {R[72], S[72]} (little-endian) over `msg`.
bool verify(const std::array<uint8_t, kIdSigSize>& sig, EVP_PKEY* key, ByteSpan msg) {
  BIGNUM* r = BN_lebin2bn(sig.data(), kEccComponentSize, nullptr);
  BIGNUM* s = BN_lebin2bn(sig.data() + kEccComponentSize, kEccComponentSize, nullptr);
  SigPtr es(ECDSA_SIG_new());
  if (!r || !s || !es || !ECDSA_SIG_set0(es.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    throw std::runtime_error("ID block signature: " + openssl_error());
  }
  const int len = i2d_ECDSA_SIG(es.get(), nullptr);
  ossl_check(len > 0, "ID block signature: DER encoding");
  Bytes der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_ECDSA_SIG(es.get(), &p);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  ossl_check(ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1,
             "ID block signature: verify init");
  const int rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), msg.data(), msg.size());
  openssl_error();
  return rc == 1;
}

std::array<uint8_t, kIdSigSize> sign(EVP_PKEY* key, ByteSpan msg) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  ossl_check(ctx && EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) == 1,
             "ID block: sign init");
  ossl_check(EVP_DigestSign(ctx.get(), nullptr, &der_len, msg.data(), msg.size()) == 1,
             "ID block: signature size");
  Bytes der(der_len);
  ossl_check(EVP_DigestSign(ctx.get(), der.data(), &der_len, msg.data(), msg.size()) == 1,
             "ID block: sign");
  const uint8_t* p = der.data();
  SigPtr es(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  ossl_check(es != nullptr, "ID block: decode signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(es.get(), &r, &s);
  std::array<uint8_t, kIdSigSize> out{};
  ossl_check(BN_bn2lebinpad(r, out.data(), kEccComponentSize) > 0 &&
                 BN_bn2lebinpad(s, out.data() + kEccComponentSize, kEccComponentSize) > 0,
             "ID block: store R,S");
  return out;
}

void require_size(ByteSpan bytes, size_t size, std::string_view what) {
  if (bytes.size() != size)
    throw InputError(std::string(what) + ": " + std::to_string(bytes.size()) + " bytes, expected " +
                     std::to_string(size));
}

}  // namespace

IdBlock IdBlock::parse(ByteSpan bytes, std::string_view what) {
  require_size(bytes, kIdBlockSize, what);
  IdBlock b;
  std::memcpy(b.ld.data(), bytes.data(), 48);
  std::memcpy(b.family_id.data(), bytes.data() + 0x30, 16);
  std::memcpy(b.image_id.data(), bytes.data() + 0x40, 16);
  b.version = load_le<uint32_t>(bytes.data() + 0x50);
  b.guest_svn = load_le<uint32_t>(bytes.data() + 0x54);
  b.policy = load_le<uint64_t>(bytes.data() + 0x58);
  return b;
}

Bytes IdBlock::serialize() const {
  Bytes out(kIdBlockSize, 0);
  std::memcpy(out.data(), ld.data(), 48);
  std::memcpy(out.data() + 0x30, family_id.data(), 16);
  std::memcpy(out.data() + 0x40, image_id.data(), 16);
  store_le<uint32_t>(out.data() + 0x50, version);
  store_le<uint32_t>(out.data() + 0x54, guest_svn);
  store_le<uint64_t>(out.data() + 0x58, policy);
  return out;
}

IdAuth IdAuth::parse(ByteSpan bytes, std::string_view what) {
  require_size(bytes, kIdAuthSize, what);
  namespace o = id_auth_off;
  IdAuth a;
  a.id_key_algo = load_le<uint32_t>(bytes.data() + o::kIdKeyAlgo);
  a.auth_key_algo = load_le<uint32_t>(bytes.data() + o::kAuthKeyAlgo);
  std::memcpy(a.id_block_sig.data(), bytes.data() + o::kIdBlockSig, kIdSigSize);
  std::memcpy(a.id_key.data(), bytes.data() + o::kIdKey, kIdKeySize);
  std::memcpy(a.id_key_sig.data(), bytes.data() + o::kIdKeySig, kIdSigSize);
  std::memcpy(a.author_key.data(), bytes.data() + o::kAuthorKey, kIdKeySize);
  return a;
}

Bytes IdAuth::serialize() const {
  namespace o = id_auth_off;
  Bytes out(kIdAuthSize, 0);
  store_le<uint32_t>(out.data() + o::kIdKeyAlgo, id_key_algo);
  store_le<uint32_t>(out.data() + o::kAuthKeyAlgo, auth_key_algo);
  std::memcpy(out.data() + o::kIdBlockSig, id_block_sig.data(), kIdSigSize);
  std::memcpy(out.data() + o::kIdKey, id_key.data(), kIdKeySize);
  std::memcpy(out.data() + o::kIdKeySig, id_key_sig.data(), kIdSigSize);
  std::memcpy(out.data() + o::kAuthorKey, author_key.data(), kIdKeySize);
  return out;
}

Sha384 id_key_digest(const std::array<uint8_t, kIdKeySize>& key_field) {
  return crypto::sha384(key_field);
}

IdBlockCheck snp_id_block_verify(ByteSpan id_block, ByteSpan id_auth, const Sha384& gctx_ld,
                                 uint64_t gctx_policy, bool auth_key_en) {
  IdBlockCheck out;
  if (id_block.size() != kIdBlockSize || id_auth.size() != kIdAuthSize) {
    out.status = SevStatus::InvalidParam;
    return out;
  }
  const IdBlock block = IdBlock::parse(id_block, "ID block");
  const IdAuth auth = IdAuth::parse(id_auth, "ID auth");
  if (block.ld != gctx_ld) {
    out.status = SevStatus::BadMeasurement;
    return out;
  }
  if (block.policy != gctx_policy) {
    out.status = SevStatus::PolicyFailure;
    return out;
  }
  if (auth.id_key_algo != kIdAlgoEcdsaP384Sha384 ||
      (auth_key_en && auth.auth_key_algo != kIdAlgoEcdsaP384Sha384)) {
    out.status = SevStatus::InvalidParam;
    return out;
  }
  const PkeyPtr id_key = pubkey_from_field(auth.id_key);
  if (!id_key || !verify(auth.id_block_sig, id_key.get(), id_block)) {
    out.status = SevStatus::BadSignature;
    return out;
  }
  out.id_key_digest = id_key_digest(auth.id_key);
  if (auth_key_en) {
    const PkeyPtr author = pubkey_from_field(auth.author_key);
    if (!author || !verify(auth.id_key_sig, author.get(), auth.id_key)) {
      out.status = SevStatus::BadSignature;
      return out;
    }
    out.author_key_digest = id_key_digest(auth.author_key);
  }
  return out;
}

std::array<uint8_t, kIdKeySize> id_key_field(EVP_PKEY* key) {
  if (!is_p384(key)) throw InputError("ID key: not an EC P-384 key");
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  ossl_check(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
                 EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1,
             "ID key: public point");
  BnPtr bx(x), by(y);
  std::array<uint8_t, kIdKeySize> f{};
  store_le<uint32_t>(f.data(), kEccCurveP384);
  ossl_check(BN_bn2lebinpad(bx.get(), f.data() + 4, kEccComponentSize) > 0 &&
                 BN_bn2lebinpad(by.get(), f.data() + 4 + kEccComponentSize, kEccComponentSize) > 0,
             "ID key: store QX, QY");
  return f;
}

SignedIdBlock snp_id_block_sign(const IdBlock& block, EVP_PKEY* id_key, EVP_PKEY* author_key) {
  if (!is_p384(id_key)) throw InputError("ID key: not an EC P-384 key");
  if (author_key && !is_p384(author_key)) throw InputError("author key: not an EC P-384 key");
  SignedIdBlock out;
  out.id_block = block.serialize();
  IdAuth auth;
  auth.id_key_algo = kIdAlgoEcdsaP384Sha384;
  auth.id_key = id_key_field(id_key);
  auth.id_block_sig = sign(id_key, out.id_block);
  if (author_key) {
    auth.auth_key_algo = kIdAlgoEcdsaP384Sha384;
    auth.author_key = id_key_field(author_key);
    auth.id_key_sig = sign(author_key, auth.id_key);
  }
  out.id_auth = auth.serialize();
  return out;
}

PkeyPtr load_p384_private_pem(std::string_view pem, std::string_view what) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  ossl_check(bio != nullptr, "PEM buffer");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    const std::string why = openssl_error();
    throw InputError(std::string(what) + ": not a PEM private key (" + why + ")");
  }
  if (!is_p384(key.get()))
    throw InputError(std::string(what) + ": not an EC P-384 key (use secp384r1)");
  return key;
}

}  // namespace cbit::psp::snp
