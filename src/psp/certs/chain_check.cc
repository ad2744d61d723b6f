#include "psp/certs/chain_check.h"

#include <fmt/format.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509_vfy.h>

#include "common/bytes.h"
#include "crypto/hash.h"
#include "psp/certs/cert_io.h"

namespace cbit::psp {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PssPtr = std::unique_ptr<RSA_PSS_PARAMS, Deleter<RSA_PSS_PARAMS, RSA_PSS_PARAMS_free>>;
using AlgorPtr = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR, X509_ALGOR_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

std::string nid_name(int nid) {
  const char* ln = OBJ_nid2ln(nid);
  return ln ? ln : fmt::format("nid {}", nid);
}

// The NID of the digest an AlgorithmIdentifier names (SHA-1 when absent: RFC 4055 default).
int algor_md_nid(const X509_ALGOR* alg) { return alg ? OBJ_obj2nid(alg->algorithm) : NID_sha1; }

}  // namespace

bool cert_signed_by(const X509* cert, const X509* issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  const bool ok = key && X509_verify(const_cast<X509*>(cert), key) == 1;
  openssl_error();
  return ok;
}

std::optional<std::string> amd_signature_params_problem(const X509* cert) {
  const ASN1_BIT_STRING* sig = nullptr;
  const X509_ALGOR* alg = nullptr;
  X509_get0_signature(&sig, &alg, cert);
  const int nid = OBJ_obj2nid(alg->algorithm);
  if (nid != NID_rsassaPss)
    return fmt::format("signature algorithm is {}, not RSASSA-PSS", nid_name(nid));
  if (!alg->parameter || alg->parameter->type != V_ASN1_SEQUENCE)
    return std::string("RSASSA-PSS without parameters (defaults to SHA-1)");
  const ASN1_STRING* seq = alg->parameter->value.sequence;
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  PssPtr pss(d2i_RSA_PSS_PARAMS(nullptr, &p, ASN1_STRING_length(seq)));
  if (!pss) {
    openssl_error();
    return std::string("RSASSA-PSS parameters do not parse");
  }
  const int md = algor_md_nid(pss->hashAlgorithm);
  if (md != NID_sha384) return fmt::format("PSS hash is {}, not SHA-384", nid_name(md));
  int mgf1_md = NID_sha1;
  if (pss->maskGenAlgorithm) {
    if (OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1)
      return std::string("PSS mask generation function is not MGF1");
    const ASN1_TYPE* mp = pss->maskGenAlgorithm->parameter;
    if (!mp || mp->type != V_ASN1_SEQUENCE) return std::string("MGF1 without a hash parameter");
    const unsigned char* q = ASN1_STRING_get0_data(mp->value.sequence);
    AlgorPtr mgf_md(d2i_X509_ALGOR(nullptr, &q, ASN1_STRING_length(mp->value.sequence)));
    if (!mgf_md) {
      openssl_error();
      return std::string("MGF1 hash parameter does not parse");
    }
    mgf1_md = algor_md_nid(mgf_md.get());
  }
  if (mgf1_md != NID_sha384) return fmt::format("MGF1 hash is {}, not SHA-384", nid_name(mgf1_md));
  long salt = 20;  // RFC 4055 default
  if (pss->saltLength) salt = ASN1_INTEGER_get(pss->saltLength);
  if (salt != 48) return fmt::format("PSS salt length is {}, not 48", salt);
  return std::nullopt;
}

std::optional<std::string> path_validation_problem(const X509* ark, const X509* ask,
                                                   const X509* vcek, bool check_root_signature,
                                                   std::optional<int64_t> at) {
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  ossl_check(store && ctx && untrusted &&
                 X509_STORE_add_cert(store.get(), const_cast<X509*>(ark)) &&
                 sk_X509_push(untrusted, const_cast<X509*>(ask)) > 0,
             "certificate store");
  if (check_root_signature) X509_STORE_set_flags(store.get(), X509_V_FLAG_CHECK_SS_SIGNATURE);
  std::optional<std::string> problem;
  const bool ready =
      X509_STORE_CTX_init(ctx.get(), store.get(), const_cast<X509*>(vcek), untrusted) == 1;
  if (ready && at)
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), static_cast<time_t>(*at));
  if (!ready) {
    problem = "cannot set up path validation: " + openssl_error();
  } else if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    problem = fmt::format("{} (at depth {})", X509_verify_cert_error_string(err),
                          X509_STORE_CTX_get_error_depth(ctx.get()));
  }
  sk_X509_free(untrusted);  // the certificates themselves belong to the caller
  openssl_error();
  return problem;
}

std::string cert_sha256_fingerprint(const X509* cert) {
  return to_hex(crypto::sha256(certificate_der(cert)));
}

}  // namespace cbit::psp
