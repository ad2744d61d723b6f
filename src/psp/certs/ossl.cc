#include "psp/certs/ossl.h"

#include <openssl/err.h>

#include <stdexcept>

namespace cbit::psp {

std::string openssl_error() {
  unsigned long last = 0;
  for (unsigned long e; (e = ERR_get_error()) != 0;) last = e;
  if (last == 0) return "no details";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof(buf));
  return buf;
}

void ossl_check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string(what) + ": " + openssl_error());
}

}  // namespace cbit::psp
