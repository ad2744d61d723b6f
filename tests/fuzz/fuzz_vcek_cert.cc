// Fuzzes certificate loading (PEM or DER) and the reading of AMD's VCEK extensions: any input
// is rejected with an InputError or yields a certificate whose extensions read cleanly.
#include <cstdint>
#include <string>

#include "common/error.h"
#include "psp/certs/cert_io.h"
#include "psp/certs/chain_check.h"
#include "psp/certs/vcek_extensions.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto cert = cbit::psp::parse_certificate(cbit::ByteSpan(data, size), "fuzz.pem");
    (void)cbit::psp::read_vcek_extensions(cert.get(), "fuzz.pem");
    (void)cbit::psp::amd_signature_params_problem(cert.get());
    (void)cbit::psp::subject_line(cert.get());
  } catch (const cbit::InputError&) {
  }
  return 0;
}
