#include "hw/psp/sev/sev_channel.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <algorithm>
#include <memory>

#include "common/error.h"

namespace cbit::hw::psp::sev {
namespace {

template <typename T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Free<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Free<BIGNUM, BN_free>>;
using BldPtr = std::unique_ptr<OSSL_PARAM_BLD, Free<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Free<OSSL_PARAM, OSSL_PARAM_free>>;

void put(Bytes& b, ByteSpan s) {
  for (uint8_t c : s) b.push_back(c);
}
void put32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// 72-byte little-endian scalar <-> 48-byte big-endian (OpenSSL) form.
void le72_to_be48(const std::array<uint8_t, 72>& le, uint8_t* be) {
  for (size_t i = 0; i < 48; ++i) be[i] = le[47 - i];
}

}  // namespace

TransportKeys::~TransportKeys() { wipe(); }
void TransportKeys::wipe() {
  OPENSSL_cleanse(tek.data(), tek.size());
  OPENSSL_cleanse(tik.data(), tik.size());
}

Bytes SessionBlob::serialize() const {
  Bytes b;
  put(b, nonce);
  put(b, wrap_tk);
  put(b, wrap_iv);
  put(b, wrap_mac);
  put(b, policy_mac);
  CBIT_ASSERT(b.size() == kSessionLen);
  return b;
}

SessionBlob SessionBlob::parse(ByteSpan b) {
  CBIT_ASSERT(b.size() == kSessionLen);
  SessionBlob s;
  const uint8_t* p = b.data();
  std::copy_n(p, 16, s.nonce.begin());
  std::copy_n(p + 16, 32, s.wrap_tk.begin());
  std::copy_n(p + 48, 16, s.wrap_iv.begin());
  std::copy_n(p + 64, 32, s.wrap_mac.begin());
  std::copy_n(p + 96, 32, s.policy_mac.begin());
  return s;
}

Bytes PacketHeader::serialize() const {
  Bytes b;
  put32(b, flags);
  put(b, iv);
  put(b, mac);
  CBIT_ASSERT(b.size() == kPacketHeaderLen);
  return b;
}

PacketHeader PacketHeader::parse(ByteSpan b) {
  CBIT_ASSERT(b.size() == kPacketHeaderLen);
  PacketHeader h;
  h.flags = load_le<uint32_t>(b.data());
  std::copy_n(b.data() + 4, 16, h.iv.begin());
  std::copy_n(b.data() + 20, 32, h.mac.begin());
  return h;
}

// SEV certificate body: version @0, api_major @4, api_minor @5, usage @8, algo @0xC, then the
// public key @0x10: curve (u32), qx[72], qy[72] (SEV-API Appendix C).
CertPubkey parse_cert_pubkey(ByteSpan cert) {
  CBIT_ASSERT(cert.size() == kCertLen);
  CertPubkey k;
  k.version = load_le<uint32_t>(cert.data());
  k.usage = load_le<uint32_t>(cert.data() + 0x08);
  k.algo = load_le<uint32_t>(cert.data() + 0x0C);
  k.curve = load_le<uint32_t>(cert.data() + 0x10);
  std::copy_n(cert.data() + 0x14, 72, k.qx.begin());
  std::copy_n(cert.data() + 0x5C, 72, k.qy.begin());
  return k;
}

CertPubkey public_key_of(EVP_PKEY* key, uint32_t usage) {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  CBIT_ASSERT(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1);
  CBIT_ASSERT(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1);
  BnPtr bx(x), by(y);
  CertPubkey k;
  k.version = kCertVersion;
  k.usage = usage;
  k.algo = kCertAlgoEcdhSha256;
  k.curve = kCurveP384;
  CBIT_ASSERT(BN_bn2lebinpad(x, k.qx.data(), 72) == 72);
  CBIT_ASSERT(BN_bn2lebinpad(y, k.qy.data(), 72) == 72);
  return k;
}

Bytes make_dh_cert(EVP_PKEY* key) {
  const CertPubkey k = public_key_of(key);
  Bytes c(kCertLen, 0);
  store_le(c.data(), k.version);
  store_le(c.data() + 0x08, k.usage);
  store_le(c.data() + 0x0C, k.algo);
  store_le(c.data() + 0x10, k.curve);
  std::copy(k.qx.begin(), k.qx.end(), c.begin() + 0x14);
  std::copy(k.qy.begin(), k.qy.end(), c.begin() + 0x5C);
  return c;
}

Bytes sev_kdf(ByteSpan key, std::string_view label, ByteSpan context, size_t out_len) {
  Bytes out;
  const uint32_t l_bits = static_cast<uint32_t>(out_len * 8);
  for (uint32_t i = 1; out.size() < out_len; ++i) {
    Bytes msg;
    put32(msg, i);
    put(msg, as_bytes(label));
    msg.push_back(0);
    put(msg, context);
    put32(msg, l_bits);
    const auto h = crypto::hmac_sha256(key, msg);
    out.insert(out.end(), h.begin(), h.begin() + std::min<size_t>(32, out_len - out.size()));
  }
  return out;
}

Bytes aes128_ctr(ByteSpan key, ByteSpan iv, ByteSpan in) {
  CBIT_ASSERT(key.size() == 16 && iv.size() == 16);
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  Bytes out(in.size() + 16);
  int n = 0, m = 0;
  CBIT_ASSERT(
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key.data(), iv.data()) == 1);
  CBIT_ASSERT(
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) == 1);
  CBIT_ASSERT(EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &m) == 1);
  out.resize(static_cast<size_t>(n + m));
  return out;
}

std::optional<Bytes> ecdh_p384(EVP_PKEY* own, const CertPubkey& peer) {
  if (peer.curve != kCurveP384) return std::nullopt;
  // Coordinates wider than 384 bits cannot be on the curve.
  for (size_t i = 48; i < 72; ++i)
    if (peer.qx[i] || peer.qy[i]) return std::nullopt;
  uint8_t oct[97];
  oct[0] = 0x04;
  le72_to_be48(peer.qx, oct + 1);
  le72_to_be48(peer.qy, oct + 49);
  BldPtr bld(OSSL_PARAM_BLD_new());
  CBIT_ASSERT(
      bld &&
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, oct, sizeof oct) == 1);
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr fctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !fctx || EVP_PKEY_fromdata_init(fctx.get()) != 1 ||
      EVP_PKEY_fromdata(fctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  PkeyPtr peer_key(raw);
  // The peer must be a point on P-384 other than infinity. P-384's cofactor is 1, so every such
  // point has order n: the quick check (on the curve) rejects exactly what the full one does,
  // without the full check's n*Q, a whole scalar multiplication (SP 800-56A 5.6.2.3.4).
  PkeyCtxPtr check(EVP_PKEY_CTX_new(peer_key.get(), nullptr));
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  PkeyCtxPtr dctx(EVP_PKEY_CTX_new(own, nullptr));
  size_t len = 0;
  if (!dctx || EVP_PKEY_derive_init(dctx.get()) != 1 ||
      // Validated above; set_peer's own validation would repeat the full check.
      EVP_PKEY_derive_set_peer_ex(dctx.get(), peer_key.get(), 0) != 1 ||
      EVP_PKEY_derive(dctx.get(), nullptr, &len) != 1 || len != 48) {
    ERR_clear_error();
    return std::nullopt;
  }
  Bytes z(48);
  if (EVP_PKEY_derive(dctx.get(), z.data(), &len) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return z;
}

namespace {
struct Wrapping {
  Bytes kek, kik;
};
Wrapping wrapping_keys(ByteSpan z, ByteSpan nonce) {
  Bytes master = sev_kdf(z, "sev-master-secret", nonce, 16);
  Wrapping w{sev_kdf(master, "sev-kek", {}, 16), sev_kdf(master, "sev-kik", {}, 16)};
  OPENSSL_cleanse(master.data(), master.size());
  return w;
}
}  // namespace

SessionBlob make_session(ByteSpan z, ByteSpan nonce, ByteSpan wrap_iv, const TransportKeys& keys,
                         uint32_t policy) {
  CBIT_ASSERT(nonce.size() == 16 && wrap_iv.size() == 16);
  SessionBlob s;
  std::copy(nonce.begin(), nonce.end(), s.nonce.begin());
  std::copy(wrap_iv.begin(), wrap_iv.end(), s.wrap_iv.begin());
  Wrapping w = wrapping_keys(z, nonce);
  Bytes tk(keys.tek.begin(), keys.tek.end());
  tk.insert(tk.end(), keys.tik.begin(), keys.tik.end());
  const Bytes wrapped = aes128_ctr(w.kek, wrap_iv, tk);
  OPENSSL_cleanse(tk.data(), tk.size());
  std::copy(wrapped.begin(), wrapped.end(), s.wrap_tk.begin());
  s.wrap_mac = crypto::hmac_sha256(w.kik, s.wrap_tk);
  uint8_t pol[4];
  store_le(pol, policy);
  s.policy_mac = crypto::hmac_sha256(keys.tik, pol);
  OPENSSL_cleanse(w.kek.data(), w.kek.size());
  OPENSSL_cleanse(w.kik.data(), w.kik.size());
  return s;
}

std::optional<TransportKeys> open_session(ByteSpan z, const SessionBlob& s) {
  Wrapping w = wrapping_keys(z, s.nonce);
  const auto mac = crypto::hmac_sha256(w.kik, s.wrap_tk);
  std::optional<TransportKeys> out;
  if (equal_ct(mac, s.wrap_mac)) {
    Bytes tk = aes128_ctr(w.kek, s.wrap_iv, s.wrap_tk);
    out.emplace();
    std::copy_n(tk.begin(), 16, out->tek.begin());
    std::copy_n(tk.begin() + 16, 16, out->tik.begin());
    OPENSSL_cleanse(tk.data(), tk.size());
  }
  OPENSSL_cleanse(w.kek.data(), w.kek.size());
  OPENSSL_cleanse(w.kik.data(), w.kik.size());
  return out;
}

crypto::Sha256Digest measurement_mac(ByteSpan tik, uint8_t api_major, uint8_t api_minor,
                                     uint8_t build, uint32_t policy, ByteSpan digest,
                                     ByteSpan mnonce) {
  Bytes m{kCtxMeasure, api_major, api_minor, build};
  put32(m, policy);
  put(m, digest);
  put(m, mnonce);
  return crypto::hmac_sha256(tik, m);
}

crypto::Sha256Digest secret_packet_mac(ByteSpan tik, const PacketHeader& hdr, uint32_t guest_len,
                                       uint32_t trans_len, ByteSpan data, ByteSpan measurement) {
  Bytes m{kCtxSecret};
  put32(m, hdr.flags);
  put(m, hdr.iv);
  put32(m, guest_len);
  put32(m, trans_len);
  put(m, data);
  put(m, measurement);
  return crypto::hmac_sha256(tik, m);
}

bool equal_ct(ByteSpan a, ByteSpan b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cbit::hw::psp::sev
