// The secret wrap (sw/attest/secret_wrap.h) and the REPORT_DATA binding
// (sw/attest/report_binding.h): round trips, and each thing that must not open or parse.
#include <gtest/gtest.h>

#include "common/error.h"
#include "sw/attest/report_binding.h"
#include "sw/attest/secret_wrap.h"

namespace cbit::sw::attest {
namespace {

const Bytes kSecret = {'p', 'a', 's', 's', 'p', 'h', 'r', 'a', 's', 'e'};
const std::array<uint8_t, 32> kReportId = [] {
  std::array<uint8_t, 32> a{};
  a.fill(0x11);
  return a;
}();
const std::array<uint8_t, 48> kMeasurement = [] {
  std::array<uint8_t, 48> a{};
  a.fill(0x22);
  return a;
}();

TEST(SecretWrap, RoundTripThroughTheWireForm) {
  psp::PkeyPtr guest = generate_p384_key();
  const WrappedSecret w = wrap_secret(kSecret, guest.get(), kReportId, kMeasurement);
  EXPECT_NE(w.ciphertext, kSecret);
  auto parsed = WrappedSecret::parse(w.serialize());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(unwrap_secret(*parsed, guest.get(), kReportId, kMeasurement), kSecret);
  // Two wraps of the same secret differ (fresh RP key and IV).
  EXPECT_NE(wrap_secret(kSecret, guest.get(), kReportId, kMeasurement).serialize(), w.serialize());
}

TEST(SecretWrap, WrongKeyOrAnotherReportCannotUnwrap) {
  psp::PkeyPtr guest = generate_p384_key();
  psp::PkeyPtr other = generate_p384_key();
  const WrappedSecret w = wrap_secret(kSecret, guest.get(), kReportId, kMeasurement);
  EXPECT_FALSE(unwrap_secret(w, other.get(), kReportId, kMeasurement));
  auto id2 = kReportId;
  id2[31] ^= 1;
  EXPECT_FALSE(unwrap_secret(w, guest.get(), id2, kMeasurement));
  auto m2 = kMeasurement;
  m2[0] ^= 1;
  EXPECT_FALSE(unwrap_secret(w, guest.get(), kReportId, m2));
  WrappedSecret flipped = w;
  flipped.ciphertext[0] ^= 1;
  EXPECT_FALSE(unwrap_secret(flipped, guest.get(), kReportId, kMeasurement));
  WrappedSecret bad_tag = w;
  bad_tag.tag[0] ^= 1;
  EXPECT_FALSE(unwrap_secret(bad_tag, guest.get(), kReportId, kMeasurement));
  WrappedSecret bad_key = w;
  bad_key.rp_public_key.resize(10);
  EXPECT_FALSE(unwrap_secret(bad_key, guest.get(), kReportId, kMeasurement));
  // Control: the right key and report.
  EXPECT_EQ(unwrap_secret(w, guest.get(), kReportId, kMeasurement), kSecret);
}

TEST(SecretWrap, MalformedWireFormIsRefused) {
  psp::PkeyPtr guest = generate_p384_key();
  const Bytes good = wrap_secret(kSecret, guest.get(), kReportId, kMeasurement).serialize();
  EXPECT_TRUE(WrappedSecret::parse(good));
  for (size_t cut : {size_t{0}, size_t{1}, size_t{50}, good.size() - 1})
    EXPECT_FALSE(WrappedSecret::parse(ByteSpan(good).first(cut))) << cut;
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(WrappedSecret::parse(longer));
  Bytes huge = good;
  store_le<uint16_t>(huge.data(), 0xFFFF);
  EXPECT_FALSE(WrappedSecret::parse(huge));
}

TEST(ReportBinding, Sha512OfNonceThenKey) {
  const Bytes nonce(32, 0xAB);
  const Bytes spki = {1, 2, 3};
  const ReportData rd = report_data_for(nonce, spki);
  EXPECT_NE(rd, report_data_for(Bytes(32, 0xAC), spki));
  EXPECT_NE(rd, report_data_for(nonce, Bytes{1, 2, 4}));
  // Expected values from `openssl dgst -sha512` over the same bytes (32 x 0xAB, 01 02 03),
  // and SHA-512 of the empty string.
  EXPECT_EQ(to_hex(rd).substr(0, 32), "08c0669656de18734431246849c94db0");
  EXPECT_EQ(to_hex(report_data_for({}, {})).substr(0, 16), "cf83e1357eefb8bd");
}

TEST(ReportBinding, OnlyP384PublicKeysParse) {
  psp::PkeyPtr k = generate_p384_key();
  EXPECT_TRUE(parse_p384_spki(spki_der(k.get())));
  psp::PkeyPtr p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  EXPECT_FALSE(parse_p384_spki(spki_der(p256.get())));
  Bytes trailing = spki_der(k.get());
  trailing.push_back(0);
  EXPECT_FALSE(parse_p384_spki(trailing));
  EXPECT_FALSE(parse_p384_spki({}));
}

}  // namespace
}  // namespace cbit::sw::attest
