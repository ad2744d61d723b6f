#include "psp/certs/cert_io.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include <memory>

#include "common/error.h"
#include "common/file.h"

namespace cbit::psp {

namespace {
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}
}  // namespace

X509Ptr parse_certificate(ByteSpan data, const std::string& what) {
  if (data.empty()) throw InputError(what + ": empty file, expected an X.509 certificate");
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  if (text.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert)
      throw InputError(fmt::format("{}: PEM data but no readable X.509 certificate ({})", what,
                                   openssl_error()));
    return cert;
  }
  const unsigned char* p = data.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(data.size())));
  if (!cert) {
    openssl_error();
    throw InputError(what + ": not an X.509 certificate (neither PEM nor DER)");
  }
  if (p != data.data() + data.size())
    throw InputError(fmt::format("{}: {} trailing bytes after the DER certificate", what,
                                 data.data() + data.size() - p));
  return cert;
}

X509Ptr load_certificate(const std::string& path) {
  return parse_certificate(read_file(path, inputs::kCertificate), path);
}

std::string certificate_pem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ossl_check(bio && PEM_write_bio_X509(bio.get(), cert) == 1, "certificate PEM");
  return bio_text(bio.get());
}

Bytes certificate_der(const X509* cert) {
  const int len = i2d_X509(cert, nullptr);
  ossl_check(len > 0, "certificate DER");
  Bytes out(static_cast<size_t>(len));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::string private_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ossl_check(
      bio && PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
      "private key PEM");
  return bio_text(bio.get());
}

std::string public_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  ossl_check(bio && PEM_write_bio_PUBKEY(bio.get(), key) == 1, "public key PEM");
  return bio_text(bio.get());
}

std::string subject_line(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
  return bio_text(bio.get());
}

}  // namespace cbit::psp
