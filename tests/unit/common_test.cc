#include <gtest/gtest.h>

#include "common/bytes.h"
#include "common/error.h"
#include "crypto/drbg.h"
#include "crypto/hash.h"

namespace cbit {

TEST(Bytes, HexRoundTrip) {
  Bytes b = from_hex("0x00ff10Ab");
  EXPECT_EQ(b, (Bytes{0x00, 0xff, 0x10, 0xab}));
  EXPECT_EQ(to_hex(b), "00ff10ab");
  EXPECT_THROW(from_hex("abc"), InputError);
  EXPECT_THROW(from_hex("zz"), InputError);
}

TEST(Bytes, CountOccurrencesOverlapping) {
  EXPECT_EQ(count_occurrences(as_bytes("aaaa"), as_bytes("aa")), 3u);
  EXPECT_EQ(count_occurrences(as_bytes("abc"), as_bytes("d")), 0u);
}

TEST(Crypto, Sha256KnownAnswer) {
  // FIPS 180-2 example "abc".
  EXPECT_EQ(to_hex(crypto::sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, DrbgSeededIsReproducibleAndLabelled) {
  crypto::Drbg a(42), b(42), c(43);
  uint8_t x[40], y[40], z[40], w[40];
  a.generate("sme-key", x);
  b.generate("other", w);  // another stream does not shift "sme-key"
  b.generate("sme-key", y);
  c.generate("sme-key", z);
  EXPECT_EQ(Bytes(x, x + 40), Bytes(y, y + 40));
  EXPECT_NE(Bytes(x, x + 40), Bytes(z, z + 40));
  a.generate("sme-key", z);  // the next call gives new bytes
  EXPECT_NE(Bytes(x, x + 40), Bytes(z, z + 40));
}

}  // namespace cbit
