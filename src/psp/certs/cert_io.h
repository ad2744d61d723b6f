// Reading and writing certificates and keys for user-named files: PEM or DER, detected by
// content. Errors are InputErrors naming the file.
#pragma once
#include <string>

#include "common/bytes.h"
#include "psp/certs/ossl.h"

namespace cbit::psp {

// Parses one X.509 certificate (PEM or DER). `what` names the input in errors.
X509Ptr parse_certificate(ByteSpan data, const std::string& what);
X509Ptr load_certificate(const std::string& path);

std::string certificate_pem(const X509* cert);
Bytes certificate_der(const X509* cert);
std::string private_key_pem(EVP_PKEY* key);
std::string public_key_pem(EVP_PKEY* key);

// One line: "CN=..., O=..." of the subject.
std::string subject_line(const X509* cert);

}  // namespace cbit::psp
