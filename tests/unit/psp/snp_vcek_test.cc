// The VCEK hashstick chain and the firmware's KDF (psp/snp/vcek.h, psp/snp/nist_kdf.h): a TCB
// change gives another key; sticks for a TCB derive every older TCB and no newer one, and agree
// with the chip secret's own derivation; the KDF's byte layout is ASPFW's little-endian one.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "crypto/hash.h"
#include "psp/certs/cert_io.h"
#include "psp/report/tcb_version.h"
#include "psp/snp/nist_kdf.h"
#include "psp/snp/vcek.h"

namespace cbit::psp::snp {
namespace {

const Bytes kSecret(48, 0x5C);

uint64_t milan(uint8_t bl, uint8_t tee, uint8_t snp, uint8_t ucode) {
  return TcbVersion{std::nullopt, bl, tee, snp, ucode}.encode(TcbLayout::MilanGenoa);
}

TEST(SnpVcek, EveryComponentChangesTheKey) {
  const auto kds = VcekHashsticks::from_chip_secret(kSecret, ~uint64_t{0});
  const uint64_t base = milan(3, 0, 8, 115);
  const Hashstick s = *kds.derive(base);
  EXPECT_EQ(*kds.derive(base), s);  // deterministic
  for (uint64_t other : {milan(4, 0, 8, 115), milan(3, 1, 8, 115), milan(3, 0, 9, 115),
                         milan(3, 0, 8, 116), base | (uint64_t{1} << 16)})
    EXPECT_NE(*kds.derive(other), s) << std::hex << other;
  // Another chip, same TCB.
  const auto other_chip = VcekHashsticks::from_chip_secret(Bytes(48, 0x5D), ~uint64_t{0});
  EXPECT_NE(*other_chip.derive(base), s);
  // The keys differ too (the public halves).
  EXPECT_NE(public_key_pem(snp_key_from_hashstick(s).get()),
            public_key_pem(snp_key_from_hashstick(*kds.derive(milan(3, 0, 9, 115))).get()));
  // A VLEK from the same stick is another key (the label).
  EXPECT_NE(public_key_pem(snp_key_from_hashstick(s).get()),
            public_key_pem(snp_key_from_hashstick(s, kVlekLabel).get()));
}

TEST(SnpVcek, SticksDeriveOlderTcbsButNeverNewer) {
  const uint64_t booted = milan(3, 2, 8, 115);
  const auto fw = VcekHashsticks::from_chip_secret(kSecret, booted);
  const auto kds = VcekHashsticks::from_chip_secret(kSecret, ~uint64_t{0});
  // Older in each component, in several at once, and equal: the same stick AMD's KDS derives
  // from the secret itself.
  for (uint64_t older : {booted, milan(2, 2, 8, 115), milan(3, 1, 8, 115), milan(3, 2, 7, 115),
                         milan(3, 2, 8, 100), milan(0, 0, 0, 0), milan(2, 0, 8, 115)})
    EXPECT_EQ(fw.derive(older), kds.derive(older)) << std::hex << older;
  // Newer in any component: not derivable.
  for (uint64_t newer : {milan(4, 2, 8, 115), milan(3, 3, 8, 115), milan(3, 2, 9, 115),
                         milan(3, 2, 8, 116), milan(2, 2, 9, 115), booted | (uint64_t{1} << 16)})
    EXPECT_FALSE(fw.derive(newer).has_value()) << std::hex << newer;
}

TEST(SnpVcek, TurinChainsOverItsOwnByteOrder) {
  const auto kds = VcekHashsticks::from_chip_secret(kSecret, ~uint64_t{0});
  TcbVersion t{1, 2, 0, 3, 4};
  TcbVersion fmc2 = t;
  fmc2.fmc = 2;
  EXPECT_NE(kds.derive(t.encode(TcbLayout::Turin)), kds.derive(fmc2.encode(TcbLayout::Turin)));
  const auto fw = VcekHashsticks::from_chip_secret(kSecret, fmc2.encode(TcbLayout::Turin));
  EXPECT_EQ(fw.derive(t.encode(TcbLayout::Turin)), kds.derive(t.encode(TcbLayout::Turin)));
  EXPECT_FALSE(VcekHashsticks::from_chip_secret(kSecret, t.encode(TcbLayout::Turin))
                   .derive(fmc2.encode(TcbLayout::Turin))
                   .has_value());
}

TEST(SnpVcek, TcbComparisonIsPerComponent) {
  EXPECT_FALSE(tcb_raw_above(milan(3, 0, 8, 115), milan(3, 0, 8, 115)));
  EXPECT_TRUE(tcb_raw_above(milan(3, 0, 8, 116), milan(4, 0, 8, 115)));  // not a number compare
  EXPECT_FALSE(tcb_raw_above(milan(2, 0, 8, 115), milan(3, 0, 8, 115)));
}

// SP 800-108 counter mode as ASPFW lays it out: block i = HMAC-SHA-256(key, LE32(i) || label ||
// 0x00 || context || LE32(L bits)).
TEST(SnpNistKdf, AspfwLittleEndianLayout) {
  const Bytes key(48, 7), ctx{1, 2, 3};
  Bytes out(40);
  snp_nist_kdf(out, key, as_bytes("gmsg-keyreq"), ctx);
  auto block = [&](uint32_t i) {
    Bytes m{static_cast<uint8_t>(i), 0, 0, 0};
    for (char c : std::string_view("gmsg-keyreq")) m.push_back(static_cast<uint8_t>(c));
    m.push_back(0);
    m.insert(m.end(), ctx.begin(), ctx.end());
    m.insert(m.end(), {0x40, 0x01, 0, 0});  // L = 320 bits, little-endian
    return crypto::hmac_sha256(key, m);
  };
  const auto b1 = block(1), b2 = block(2);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 32), Bytes(b1.begin(), b1.end()));
  EXPECT_EQ(Bytes(out.begin() + 32, out.end()), Bytes(b2.begin(), b2.begin() + 8));
  // L is part of every block: a shorter output is not a prefix.
  Bytes shorter(32);
  snp_nist_kdf(shorter, key, as_bytes("gmsg-keyreq"), ctx);
  EXPECT_NE(shorter, Bytes(out.begin(), out.begin() + 32));

  // OpenSSL's KBKDF (HMAC-SHA-256, counter mode) writes i and L big-endian: other bytes.
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "KBKDF", nullptr);
  ASSERT_NE(kdf, nullptr);
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(kdf);
  char mac[] = "HMAC", digest[] = "SHA256";
  Bytes label(std::string_view("gmsg-keyreq").begin(), std::string_view("gmsg-keyreq").end());
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, mac, 0),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, label.data(), label.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(ctx.data()),
                                        ctx.size()),
      OSSL_PARAM_construct_end()};
  Bytes be(40);
  ASSERT_EQ(EVP_KDF_derive(kctx, be.data(), be.size(), params), 1);
  EVP_KDF_CTX_free(kctx);
  EVP_KDF_free(kdf);
  EXPECT_NE(be, out);
}

}  // namespace
}  // namespace cbit::psp::snp
