// Fuzzes what the relying-party protocol reads from the wire before any signature is checked
// (sw/attest/, psp/certs/cert_table.h): the extended report's certificate table, the wrapped
// secret, and the guest's public key. Any input is refused (InputError / nullopt / nullptr) or
// parses; a parsed table and wrapped secret serialize back to what parses to the same thing;
// unwrapping garbage with a real key never opens it.
//
// The first byte selects the parser, the rest is its input.
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "psp/certs/cert_table.h"
#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit;
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      try {
        const psp::CertTable t = psp::CertTable::parse(in, "fuzz");
        const psp::CertTable again = psp::CertTable::parse(t.serialize(), "again");
        if (again.entries.size() != t.entries.size()) std::abort();
        for (size_t i = 0; i < t.entries.size(); ++i)
          if (again.entries[i].guid != t.entries[i].guid ||
              again.entries[i].data != t.entries[i].data)
            std::abort();
      } catch (const InputError&) {
      }
      break;
    case 1: {
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
    case 2:
      (void)sw::attest::parse_p384_spki(in);
      break;
  }
  return 0;
}
