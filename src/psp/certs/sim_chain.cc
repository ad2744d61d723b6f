#include "psp/certs/sim_chain.h"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "common/error.h"
#include "common/file.h"
#include "psp/certs/cert_io.h"

namespace cbit::psp {

namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// Products and their CPUID signatures (virtee/sev Generation::identify_cpu: Milan family 0x19
// models 0x0-0xF, Genoa 0x19 models 0x10-0x1F, Turin family 0x1A models 0x0-0x11).
const ChipProduct kProducts[] = {
    {"Milan", "B0", TcbLayout::MilanGenoa, 0x19, 0x01, 0x01},
    {"Genoa", "B1", TcbLayout::MilanGenoa, 0x19, 0x11, 0x01},
    {"Turin", "B0", TcbLayout::Turin, 0x1A, 0x02, 0x00},
};

void set_name(X509_NAME* name, const std::string& cn) {
  auto add = [&](const char* field, const std::string& value) {
    ossl_check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                          -1, 0) == 1,
               "certificate name");
  };
  add("OU", "cbit simulation - NOT an AMD key");
  add("O", kSimOrganization);
  add("CN", cn);
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  ossl_check(ext && X509_add_ext(cert, ext.get(), -1) == 1, "certificate extension");
}

X509Ptr new_cert(EVP_PKEY* subject_key, const std::string& subject_cn, const X509* issuer,
                 long serial, long days) {
  X509Ptr cert(X509_new());
  ossl_check(cert && X509_set_version(cert.get(), 2) == 1, "certificate");
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr);
  set_name(X509_get_subject_name(cert.get()), subject_cn);
  ossl_check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer)
                                                     : X509_get_subject_name(cert.get())) == 1,
             "certificate issuer");
  ossl_check(X509_set_pubkey(cert.get(), subject_key) == 1, "certificate public key");
  return cert;
}

}  // namespace

void sign_rsa_pss(X509* cert, EVP_PKEY* key) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ossl_check(ctx && EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha384(), nullptr, key) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1 &&
                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()) == 1,
             "RSA-PSS setup");
  ossl_check(X509_sign_ctx(cert, ctx.get()) > 0, "RSA-PSS certificate signature");
}

const ChipProduct& chip_product(std::string_view name, std::string_view flag) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const auto& p : kProducts) {
    std::string pn(p.name);
    std::transform(pn.begin(), pn.end(), pn.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (pn == lower) return p;
  }
  throw InputError(fmt::format("{}: unknown product '{}' (milan, genoa or turin)", flag, name));
}

PkeyPtr generate_rsa4096() {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  ossl_check(ctx && EVP_PKEY_keygen_init(ctx.get()) == 1 &&
                 EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 4096) == 1 &&
                 EVP_PKEY_keygen(ctx.get(), &key) == 1,
             "RSA-4096 key generation");
  return PkeyPtr(key);
}

PkeyPtr load_or_generate_rsa4096(const std::string& pem_path) {
  if (std::filesystem::exists(pem_path)) {
    const Bytes pem = read_file(pem_path, inputs::kPrivateKey);
    std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key || !EVP_PKEY_is_a(key.get(), "RSA") || EVP_PKEY_get_bits(key.get()) != 4096) {
      openssl_error();
      throw InputError(pem_path + ": not an RSA-4096 private key (PEM); delete it to regenerate");
    }
    return key;
  }
  PkeyPtr key = generate_rsa4096();
  std::filesystem::create_directories(std::filesystem::path(pem_path).parent_path());
  write_output_file(pem_path, as_bytes(private_key_pem(key.get())), 0600);  // a private key
  return key;
}

PkeyPtr p384_key_from_seed(ByteSpan seed) {
  CBIT_ASSERT(seed.size() >= 48);
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_secp384r1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  BnPtr d(BN_bin2bn(seed.data(), static_cast<int>(seed.size()), nullptr));
  BnPtr n_minus_1(BN_dup(EC_GROUP_get0_order(group.get())));
  ossl_check(group && bn_ctx && d && n_minus_1 && BN_sub_word(n_minus_1.get(), 1) == 1 &&
                 BN_mod(d.get(), d.get(), n_minus_1.get(), bn_ctx.get()) == 1 &&
                 BN_add_word(d.get(), 1) == 1,
             "P-384 scalar");  // d in [1, n-1]
  PointPtr pub(EC_POINT_new(group.get()));
  ossl_check(
      pub && EC_POINT_mul(group.get(), pub.get(), d.get(), nullptr, nullptr, bn_ctx.get()) == 1,
      "P-384 public point");
  unsigned char pub_oct[97];
  const size_t pub_len = EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED,
                                            pub_oct, sizeof(pub_oct), bn_ctx.get());
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  ossl_check(bld && pub_len == sizeof(pub_oct) &&
                 OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp384r1",
                                                 0) == 1 &&
                 OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) == 1 &&
                 OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_oct,
                                                  pub_len) == 1,
             "P-384 key parameters");
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  ossl_check(params && ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                 EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params.get()) == 1,
             "P-384 key from seed");
  return PkeyPtr(key);
}

X509Ptr make_ark_cert(EVP_PKEY* ark_key, const ChipProduct& product) {
  X509Ptr cert =
      new_cert(ark_key, fmt::format("ARK-{} (cbit simulated)", product.name), nullptr, 1, 25 * 365);
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  sign_rsa_pss(cert.get(), ark_key);
  return cert;
}

namespace {

// An intermediate CA under the ARK (the ASK or the ASVK): CN and serial differ, the profile not.
X509Ptr make_intermediate_cert(EVP_PKEY* key, const std::string& cn, long serial, const X509* ark,
                               EVP_PKEY* ark_key) {
  X509Ptr cert = new_cert(key, cn, ark, serial, 25 * 365);
  X509* issuer = const_cast<X509*>(ark);  // X509V3_set_ctx takes non-const; it only reads
  add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  add_ext(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), issuer, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  sign_rsa_pss(cert.get(), ark_key);
  return cert;
}

}  // namespace

X509Ptr make_ask_cert(EVP_PKEY* ask_key, const X509* ark, EVP_PKEY* ark_key,
                      const ChipProduct& product) {
  return make_intermediate_cert(ask_key, fmt::format("SEV-{} (cbit simulated)", product.name), 2,
                                ark, ark_key);
}

X509Ptr make_asvk_cert(EVP_PKEY* asvk_key, const X509* ark, EVP_PKEY* ark_key,
                       const ChipProduct& product) {
  return make_intermediate_cert(asvk_key, fmt::format("SEV-VLEK-{} (cbit simulated)", product.name),
                                3, ark, ark_key);
}

X509Ptr make_vlek_cert(EVP_PKEY* vlek_key, const X509* asvk, EVP_PKEY* asvk_key,
                       const VcekExtensions& ext) {
  X509Ptr cert = new_cert(vlek_key, "SEV-VLEK (cbit simulated)", asvk, 0, 7 * 365);
  add_vcek_extensions(cert.get(), ext);
  sign_rsa_pss(cert.get(), asvk_key);
  return cert;
}

VcekExtensions vlek_extensions_for(const ChipProduct& product, const TcbVersion& tcb,
                                   const std::string& csp_id) {
  VcekExtensions e = vcek_extensions_for(product, tcb, {});
  e.hwid.reset();
  e.csp_id = csp_id;
  return e;
}

X509Ptr make_vcek_cert(EVP_PKEY* vcek_key, const X509* ask, EVP_PKEY* ask_key,
                       const VcekExtensions& ext, const ChipProduct& /*product*/) {
  // AMD's VCEKs are valid for 7 years (a real Milan VCEK: 2022-09-24 .. 2029-09-24).
  X509Ptr cert = new_cert(vcek_key, "SEV-VCEK (cbit simulated)", ask, 0, 7 * 365);
  add_vcek_extensions(cert.get(), ext);
  sign_rsa_pss(cert.get(), ask_key);
  return cert;
}

VcekExtensions vcek_extensions_for(const ChipProduct& product, const TcbVersion& tcb,
                                   ByteSpan chip_id) {
  VcekExtensions e;
  e.struct_version = 1;
  e.product_name = fmt::format("{}-{}", product.name, product.stepping);
  e.bl_spl = tcb.bootloader;
  e.tee_spl = tcb.tee;
  e.snp_spl = tcb.snp;
  e.ucode_spl = tcb.microcode;
  if (product.layout == TcbLayout::Turin) e.fmc_spl = tcb.fmc.value_or(0);
  // Turin's KDS keys on the first 8 bytes of CHIP_ID and its VCEK's hwID is those 8 bytes
  // (SNP-FACTS.md §4; go-sev-guest#165).
  const size_t n =
      product.layout == TcbLayout::Turin ? std::min<size_t>(8, chip_id.size()) : chip_id.size();
  e.hwid = Bytes(chip_id.begin(), chip_id.begin() + static_cast<ptrdiff_t>(n));
  return e;
}

}  // namespace cbit::psp
