// Owning handles for the OpenSSL 3 objects the report and certificate code passes around, and
// the one place that turns OpenSSL's error queue into a message.
#pragma once
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace cbit::psp {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// The most recent OpenSSL error as text ("no details" when the queue is empty); clears the queue.
std::string openssl_error();

// Throws std::runtime_error("<what>: <openssl error>") when ok is false. For failures that are
// not the user's input (a key generation or signing step that must work).
void ossl_check(bool ok, const char* what);

}  // namespace cbit::psp
