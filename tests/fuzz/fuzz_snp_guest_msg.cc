// Fuzzes the readers of SNP guest messages, which the firmware runs on what a hostile hypervisor
// hands it and the guest runs on what the hypervisor copies back: the header checks and GCM open
// (any bytes either fail with a named error or open; a message that opens re-seals to the same
// ciphertext), the request payloads (parse then serialize round-trips when the reserved bytes are
// zero), and the extended report's certificate table (every entry parsed lies inside the buffer).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "psp/snp/cert_table.h"
#include "psp/snp/guest_msg.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cbit::psp::snp;
  const cbit::ByteSpan in(data, std::min(size, kGuestMsgPageSize));
  const cbit::Bytes key(32, 0x5A);

  GuestMsgHeader hdr;
  GuestMsgError err = GuestMsgError::None;
  const auto plain = snp_guest_msg_open(key, in, &hdr, &err);
  if (plain) {
    if (err != GuestMsgError::None || plain->size() != hdr.msg_size) std::abort();
    const cbit::Bytes again = snp_guest_msg_seal(key, hdr, *plain);
    // Same key, IV and plaintext: the same ciphertext (the tag may differ only if reserved
    // header bytes, which are part of the AAD, were not zero).
    if (again.size() > in.size() || std::memcmp(again.data() + kGuestMsgHeaderSize,
                                                in.data() + kGuestMsgHeaderSize, hdr.msg_size) != 0)
      std::abort();
  } else if (err == GuestMsgError::None) {
    std::abort();
  }
  // Whatever the input, sealing it as a payload and opening it gives it back.
  const size_t n = in.size() / 16 * 16;
  if (n > 0 && n <= kGuestMsgMaxPayload) {
    const cbit::Bytes m = snp_guest_msg_seal(key, GuestMsgHeader{}, in.first(n));
    const auto back = snp_guest_msg_open(key, m, nullptr, nullptr);
    if (!back || back->size() != n || std::memcmp(back->data(), in.data(), n) != 0) std::abort();
  }

  if (const auto r = MsgReportReq::parse(in); r && r->reserved_zero) {
    const cbit::Bytes b = r->serialize();
    if (std::memcmp(b.data(), in.data(), b.size()) != 0) std::abort();
  }
  if (const auto k = MsgKeyReq::parse(in); k && k->reserved_zero) {
    const cbit::Bytes b = k->serialize();
    if (std::memcmp(b.data(), in.data(), b.size()) != 0) std::abort();
  }

  std::string why;
  if (const auto t = cert_table_parse(in, &why)) {
    for (const auto& e : *t)
      if (e.data.size() > in.size()) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  return 0;
}
