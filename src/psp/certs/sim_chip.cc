#include "psp/certs/sim_chip.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstring>

namespace cbit::psp {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

// HKDF-SHA-384(ikm = chip secret, salt = "cbit-sim-vcek", info = "VCEK" || TCB) -> 48 bytes.
std::array<uint8_t, 48> vcek_seed(const std::array<uint8_t, 48>& secret, const ChipProduct& p,
                                  const TcbVersion& tcb) {
  std::unique_ptr<EVP_KDF, Deleter<EVP_KDF, EVP_KDF_free>> kdf(
      EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  std::unique_ptr<EVP_KDF_CTX, Deleter<EVP_KDF_CTX, EVP_KDF_CTX_free>> ctx(
      kdf ? EVP_KDF_CTX_new(kdf.get()) : nullptr);
  uint8_t info[12] = {'V', 'C', 'E', 'K'};
  const uint64_t raw = tcb.encode(p.layout);
  std::memcpy(info + 4, &raw, sizeof(raw));
  static const char kSalt[] = "cbit-sim-vcek";
  char digest[] = "SHA384";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(kSalt),
                                        sizeof(kSalt) - 1),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info)),
      OSSL_PARAM_construct_end()};
  std::array<uint8_t, 48> out{};
  ossl_check(ctx && EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) == 1,
             "VCEK derivation (HKDF-SHA-384)");
  return out;
}

}  // namespace

SimulatedChip::SimulatedChip(const ChipProduct& product, std::array<uint8_t, 64> chip_id,
                             std::array<uint8_t, 48> chip_secret, PkeyPtr ark_key, PkeyPtr ask_key)
    : product_(product),
      chip_id_(chip_id),
      chip_secret_(chip_secret),
      ark_key_(std::move(ark_key)),
      ask_key_(std::move(ask_key)) {
  if (product_.layout == TcbLayout::Turin) std::fill(chip_id_.begin() + 8, chip_id_.end(), 0);
  ark_ = make_ark_cert(ark_key_.get(), product_);
  ask_ = make_ask_cert(ask_key_.get(), ark_.get(), ark_key_.get(), product_);
}

PkeyPtr SimulatedChip::vcek_key(const TcbVersion& tcb) const {
  return p384_key_from_seed(vcek_seed(chip_secret_, product_, tcb));
}

X509Ptr SimulatedChip::vcek_cert(const TcbVersion& tcb) const {
  return vcek_cert(tcb, vcek_extensions_for(product_, tcb, chip_id_));
}

X509Ptr SimulatedChip::vcek_cert(const TcbVersion& key_tcb, const VcekExtensions& ext) const {
  PkeyPtr key = vcek_key(key_tcb);
  return make_vcek_cert(key.get(), ask_.get(), ask_key_.get(), ext, product_);
}

}  // namespace cbit::psp
