#include "psp/report/report_signature.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/error.h"
#include "psp/certs/ossl.h"
#include "psp/report/attestation_report.h"

namespace cbit::psp {

namespace {

struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using SigPtr = std::unique_ptr<ECDSA_SIG, SigFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

bool is_p384(EVP_PKEY* key) {
  if (!key || !EVP_PKEY_is_a(key, "EC")) return false;
  char group[64] = {};
  size_t len = 0;
  if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len))
    return false;
  return std::strcmp(group, "secp384r1") == 0 || std::strcmp(group, "P-384") == 0;
}

// R and S from the report as an ECDSA_SIG (both may be zero: an unsigned report).
SigPtr sig_from_report(ByteSpan report) {
  BIGNUM* r = BN_lebin2bn(report.data() + kReportSigROffset, kReportSigComponentSize, nullptr);
  BIGNUM* s = BN_lebin2bn(report.data() + kReportSigSOffset, kReportSigComponentSize, nullptr);
  SigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || !ECDSA_SIG_set0(sig.get(), r, s)) {
    BN_free(r);
    BN_free(s);
    throw std::runtime_error("report signature: " + openssl_error());
  }
  return sig;
}

Bytes sig_to_der(const ECDSA_SIG* sig) {
  const int len = i2d_ECDSA_SIG(sig, nullptr);
  ossl_check(len > 0, "report signature: DER encoding");
  Bytes der(static_cast<size_t>(len));
  uint8_t* p = der.data();
  i2d_ECDSA_SIG(sig, &p);
  return der;
}

}  // namespace

void sign_report(MutByteSpan report, EVP_PKEY* vcek) {
  CBIT_ASSERT(report.size() == kReportSize);
  if (!is_p384(vcek)) throw std::runtime_error("sign_report: the VCEK must be an EC P-384 key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  ossl_check(ctx && EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, vcek) == 1,
             "sign_report: init");
  ossl_check(EVP_DigestSign(ctx.get(), nullptr, &der_len, report.data(), kReportSignedSize) == 1,
             "sign_report: size");
  Bytes der(der_len);
  ossl_check(EVP_DigestSign(ctx.get(), der.data(), &der_len, report.data(), kReportSignedSize) == 1,
             "sign_report: sign");
  const uint8_t* p = der.data();
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  ossl_check(sig != nullptr, "sign_report: decode");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::fill(report.begin() + kReportSigROffset, report.end(), uint8_t{0});  // zero padding
  ossl_check(BN_bn2lebinpad(r, report.data() + kReportSigROffset, kReportSigComponentSize) > 0 &&
                 BN_bn2lebinpad(s, report.data() + kReportSigSOffset, kReportSigComponentSize) > 0,
             "sign_report: store R,S");
}

bool verify_report_signature(ByteSpan report, EVP_PKEY* vcek, std::string* why) {
  auto fail = [&](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  CBIT_ASSERT(report.size() == kReportSize);
  if (!is_p384(vcek)) return fail("the VCEK's public key is not an EC P-384 key");
  const auto zero = [](const uint8_t* p) {
    return std::all_of(p, p + kReportSigComponentSize, [](uint8_t b) { return b == 0; });
  };
  if (zero(report.data() + kReportSigROffset) || zero(report.data() + kReportSigSOffset))
    return fail("the signature field is zero (an unsigned report: MASK_CHIP_KEY or no key)");
  const Bytes der = sig_to_der(sig_from_report(report).get());
  MdCtxPtr ctx(EVP_MD_CTX_new());
  ossl_check(ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, vcek) == 1,
             "verify_report_signature: init");
  const int rc =
      EVP_DigestVerify(ctx.get(), der.data(), der.size(), report.data(), kReportSignedSize);
  openssl_error();  // a failed verification leaves an error on the queue; drop it
  if (rc != 1) return fail("ECDSA P-384/SHA-384 signature does not verify under this VCEK");
  return true;
}

Bytes report_signature_der(ByteSpan report) {
  CBIT_ASSERT(report.size() == kReportSize);
  return sig_to_der(sig_from_report(report).get());
}

}  // namespace cbit::psp
