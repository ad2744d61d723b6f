#include "sw/attest/report_binding.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

namespace cbit::sw::attest {

ReportData report_data_for(ByteSpan nonce, ByteSpan guest_spki_der) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ReportData out{};
  unsigned int len = 0;
  psp::ossl_check(
      ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha512(), nullptr) == 1 &&
          EVP_DigestUpdate(ctx.get(), nonce.data(), nonce.size()) == 1 &&
          EVP_DigestUpdate(ctx.get(), guest_spki_der.data(), guest_spki_der.size()) == 1 &&
          EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1 && len == out.size(),
      "SHA-512 of nonce || key");
  return out;
}

psp::PkeyPtr generate_p384_key() {
  psp::PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  psp::ossl_check(key != nullptr, "EC P-384 key generation");
  return key;
}

Bytes spki_der(EVP_PKEY* key) {
  const int len = i2d_PUBKEY(key, nullptr);
  psp::ossl_check(len > 0, "SubjectPublicKeyInfo encoding");
  Bytes out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_PUBKEY(key, &p);
  return out;
}

psp::PkeyPtr parse_p384_spki(ByteSpan der) {
  const uint8_t* p = der.data();
  psp::PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!key || p != der.data() + der.size() || !EVP_PKEY_is_a(key.get(), "EC")) {
    psp::openssl_error();
    return nullptr;
  }
  char group[64] = {};
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                      &len) ||
      (std::strcmp(group, "secp384r1") != 0 && std::strcmp(group, "P-384") != 0)) {
    psp::openssl_error();
    return nullptr;
  }
  return key;
}

}  // namespace cbit::sw::attest
