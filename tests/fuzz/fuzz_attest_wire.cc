// Fuzzes what the relying-party protocol reads from the wire before any signature is checked
// (sw/attest/): the wrapped secret and the guest's public key (the certificate table has its
// own target, fuzz_snp_guest_msg). Any input is refused (nullopt / nullptr) or parses; a parsed
// wrapped secret serializes back to the same bytes; unwrapping garbage with a real key never
// opens it.
//
// The first byte selects the parser, the rest is its input.
#include <cstdint>
#include <cstdlib>

#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit;
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 2) {
    case 0: {
      auto w = sw::attest::WrappedSecret::parse(in);
      if (!w) break;
      auto again = sw::attest::WrappedSecret::parse(w->serialize());
      if (!again || again->serialize() != w->serialize()) std::abort();
      static const psp::PkeyPtr key = sw::attest::generate_p384_key();
      const uint8_t id[32] = {}, m[48] = {};
      // Without the wrapping party's key nobody produces a valid tag for this key.
      if (sw::attest::unwrap_secret(*w, key.get(), id, m)) std::abort();
      break;
    }
    case 1:
      (void)sw::attest::parse_p384_spki(in);
      break;
  }
  return 0;
}
