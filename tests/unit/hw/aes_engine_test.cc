// The memory controller's AES engine against OpenSSL EVP, bit for bit: XEX is aes-{128,256}-xts
// with 4 KiB data units and iv = le128(pfn); XE is E_K1(P ^ T(p)) built here from
// aes-{128,256}-ecb. Each backend (OpenSSL-based and VAES) is checked on its own.
#include "hw/memctrl/aes_engine.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <random>
#include <vector>

#include "crypto/drbg.h"

namespace cbit::hw {

// The parameter prints as the backend's name (operator<< beside the enum, aes_engine.h): ctest
// names carry it (test_names_test.cc).
namespace {

struct TestKey {
  KeyLength len;
  Bytes k1, k2;
  KeyMaterial material() const { return KeyMaterial(len, k1, k2); }
};

size_t key_size(KeyLength len) { return len == KeyLength::Aes128 ? 16 : 32; }

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

TestKey random_key(std::mt19937_64& rng, KeyLength len) {
  return {len, random_bytes(rng, key_size(len)), random_bytes(rng, key_size(len))};
}

// OpenSSL aes-xts over one whole 4 KiB page (a single data unit).
Bytes openssl_xts_page(const TestKey& k, uint64_t pfn, ByteSpan in, bool enc) {
  EXPECT_EQ(in.size(), kPageSize);
  Bytes key = k.k1;
  key.insert(key.end(), k.k2.begin(), k.k2.end());
  uint8_t iv[16] = {};
  store_le<uint64_t>(iv, pfn);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* c = k.len == KeyLength::Aes128 ? EVP_aes_128_xts() : EVP_aes_256_xts();
  EXPECT_EQ(EVP_CipherInit_ex(ctx, c, nullptr, key.data(), iv, enc ? 1 : 0), 1);
  Bytes out(in.size());
  int outl = 0;
  EXPECT_EQ(EVP_CipherUpdate(ctx, out.data(), &outl, in.data(), static_cast<int>(in.size())), 1);
  EXPECT_EQ(outl, static_cast<int>(in.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

Bytes openssl_ecb(KeyLength len, const Bytes& key, ByteSpan in, bool enc) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const EVP_CIPHER* c = len == KeyLength::Aes128 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
  EXPECT_EQ(EVP_CipherInit_ex(ctx, c, nullptr, key.data(), nullptr, enc ? 1 : 0), 1);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  Bytes out(in.size());
  int outl = 0;
  EXPECT_EQ(EVP_CipherUpdate(ctx, out.data(), &outl, in.data(), static_cast<int>(in.size())), 1);
  EXPECT_EQ(outl, static_cast<int>(in.size()));
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

// XE reference: T(p) = XOR over set bits i >= 4 of p of E_K2(le128(i)); C = E_K1(P ^ T(p)).
Bytes xe_tweaks(const TestKey& k, uint64_t pa, size_t nblocks) {
  Bytes t(nblocks * 16, 0);
  for (size_t b = 0; b < nblocks; ++b) {
    const uint64_t p = pa + b * 16;
    for (unsigned i = 4; i < 64; ++i) {
      if (!((p >> i) & 1)) continue;
      uint8_t idx[16] = {};
      store_le<uint64_t>(idx, i);
      Bytes ti = openssl_ecb(k.len, k.k2, ByteSpan(idx, 16), true);
      for (size_t j = 0; j < 16; ++j) t[b * 16 + j] ^= ti[j];
    }
  }
  return t;
}

Bytes openssl_xe(const TestKey& k, uint64_t pa, ByteSpan in, bool enc) {
  const Bytes t = xe_tweaks(k, pa, in.size() / 16);
  if (enc) {
    Bytes x(in.begin(), in.end());
    for (size_t i = 0; i < x.size(); ++i) x[i] ^= t[i];
    return openssl_ecb(k.len, k.k1, x, true);
  }
  Bytes x = openssl_ecb(k.len, k.k1, in, false);
  for (size_t i = 0; i < x.size(); ++i) x[i] ^= t[i];
  return x;
}

Bytes engine_run(const AesEngine& e, uint64_t pa, ByteSpan in, bool enc) {
  Bytes out(in.size());
  if (enc) {
    e.encrypt(SysPhysAddr(pa), in, out);
  } else {
    e.decrypt(SysPhysAddr(pa), in, out);
  }
  return out;
}

uint64_t random_pfn(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return rng() % 16;  // low pages, including pfn 0
    case 1:
      return rng() & ((1ull << 40) - 1);  // a 52-bit physical address space
    case 2:
      return rng() >> 12;  // every pfn bit
    default:
      return (rng() & ((1ull << 40) - 1)) | (1ull << 39);
  }
}

// Each test runs on every backend this CPU has.
class AesEngineTest : public ::testing::TestWithParam<AesBackend> {
 protected:
  void SetUp() override {
    if (GetParam() == AesBackend::Vaes && !AesEngine::vaes_available()) {
      GTEST_SKIP() << "CPU lacks VAES/AVX-512";
    }
  }
  AesEngine make(CipherMode m, const TestKey& k) const {
    return AesEngine(m, k.material(), GetParam());
  }
};

TEST_P(AesEngineTest, XexWholePageMatchesOpenSslXts) {
  std::mt19937_64 rng(1);
  for (KeyLength len : {KeyLength::Aes128, KeyLength::Aes256}) {
    for (int iter = 0; iter < 100; ++iter) {
      const TestKey k = random_key(rng, len);
      const AesEngine e(CipherMode::Xex, k.material(), GetParam());
      ASSERT_EQ(e.backend(), GetParam());
      const uint64_t pfn = random_pfn(rng);
      const Bytes p = random_bytes(rng, kPageSize);
      const Bytes c = engine_run(e, pfn << 12, p, true);
      ASSERT_EQ(c, openssl_xts_page(k, pfn, p, true)) << "iter " << iter;
      ASSERT_EQ(engine_run(e, pfn << 12, c, false), p);
      // Decryption of arbitrary bytes matches OpenSSL's decryption too.
      const Bytes r = random_bytes(rng, kPageSize);
      ASSERT_EQ(engine_run(e, pfn << 12, r, false), openssl_xts_page(k, pfn, r, false));
    }
  }
}

TEST_P(AesEngineTest, XexSubRangesEqualSlicesOfOpenSslPage) {
  std::mt19937_64 rng(2);
  for (KeyLength len : {KeyLength::Aes128, KeyLength::Aes256}) {
    for (int iter = 0; iter < 300; ++iter) {
      const TestKey k = random_key(rng, len);
      const AesEngine e(CipherMode::Xex, k.material(), GetParam());
      const uint64_t pfn = random_pfn(rng);
      const Bytes p = random_bytes(rng, kPageSize);
      const Bytes c = openssl_xts_page(k, pfn, p, true);
      const size_t first = rng() % 256;
      size_t n = 1 + rng() % (256 - first);
      if (iter % 3 == 0) n = 1 + rng() % std::min<size_t>(20, 256 - first);  // short ranges
      const uint64_t pa = (pfn << 12) + first * 16;
      ByteSpan pslice(p.data() + first * 16, n * 16);
      ByteSpan cslice(c.data() + first * 16, n * 16);
      ASSERT_EQ(engine_run(e, pa, pslice, true), Bytes(cslice.begin(), cslice.end()))
          << "first " << first << " n " << n;
      ASSERT_EQ(engine_run(e, pa, cslice, false), Bytes(pslice.begin(), pslice.end()));
    }
  }
}

TEST_P(AesEngineTest, CacheLineAt0x7c0TransformsOnItsOwn) {
  std::mt19937_64 rng(3);
  const TestKey k = random_key(rng, KeyLength::Aes128);
  const AesEngine e = make(CipherMode::Xex, k);
  const uint64_t pfn = 0x12345;
  const Bytes p = random_bytes(rng, kPageSize);
  const Bytes c = openssl_xts_page(k, pfn, p, true);
  const Bytes line = engine_run(e, (pfn << 12) + 0x7c0, ByteSpan(p.data() + 0x7c0, 64), true);
  EXPECT_EQ(line, Bytes(c.begin() + 0x7c0, c.begin() + 0x800));
  // Control: the same line encrypted as if it sat at offset 0 does not match.
  const Bytes wrong = engine_run(e, pfn << 12, ByteSpan(p.data() + 0x7c0, 64), true);
  EXPECT_NE(wrong, line);
}

TEST_P(AesEngineTest, XeMatchesOpenSslEcbComposition) {
  std::mt19937_64 rng(4);
  for (KeyLength len : {KeyLength::Aes128, KeyLength::Aes256}) {
    for (int iter = 0; iter < 60; ++iter) {
      const TestKey k = random_key(rng, len);
      const AesEngine e(CipherMode::Xe, k.material(), GetParam());
      const uint64_t pfn = random_pfn(rng);
      const size_t first = iter % 4 == 0 ? 0 : rng() % 256;
      const size_t n = iter % 4 == 0 ? 256 : 1 + rng() % (256 - first);
      const uint64_t pa = (pfn << 12) + first * 16;
      const Bytes p = random_bytes(rng, n * 16);
      const Bytes c = engine_run(e, pa, p, true);
      ASSERT_EQ(c, openssl_xe(k, pa, p, true)) << "iter " << iter;
      ASSERT_EQ(engine_run(e, pa, c, false), p);
      ASSERT_EQ(engine_run(e, pa, p, false), openssl_xe(k, pa, p, false));
    }
  }
}

TEST_P(AesEngineTest, XeSubRangeEqualsSliceOfWholePage) {
  std::mt19937_64 rng(5);
  const TestKey k = random_key(rng, KeyLength::Aes256);
  const AesEngine e = make(CipherMode::Xe, k);
  const uint64_t base = 0xabcde000;
  const Bytes p = random_bytes(rng, kPageSize);
  const Bytes c = engine_run(e, base, p, true);
  const Bytes line = engine_run(e, base + 0x7c0, ByteSpan(p.data() + 0x7c0, 64), true);
  EXPECT_EQ(line, Bytes(c.begin() + 0x7c0, c.begin() + 0x800));
}

TEST_P(AesEngineTest, InPlaceEqualsOutOfPlace) {
  std::mt19937_64 rng(6);
  for (CipherMode m : {CipherMode::Xex, CipherMode::Xe}) {
    const TestKey k = random_key(rng, KeyLength::Aes128);
    const AesEngine e = make(m, k);
    for (size_t n : {size_t{16}, size_t{64}, size_t{272}, kPageSize}) {
      const uint64_t pa = 0x7000 + (kPageSize - n);
      Bytes buf = random_bytes(rng, n);
      const Bytes p = buf;
      const Bytes c = engine_run(e, pa, p, true);
      e.encrypt(SysPhysAddr(pa), buf, buf);
      EXPECT_EQ(buf, c);
      e.decrypt(SysPhysAddr(pa), buf, buf);
      EXPECT_EQ(buf, p);
    }
  }
}

TEST_P(AesEngineTest, DeterministicAndAddressBound) {
  std::mt19937_64 rng(7);
  for (CipherMode m : {CipherMode::Xex, CipherMode::Xe}) {
    const TestKey k = random_key(rng, KeyLength::Aes128);
    const AesEngine e1 = make(m, k);
    const AesEngine e2 = make(m, k);
    const Bytes p(kPageSize, 0x42);
    const Bytes c = engine_run(e1, 0x10000, p, true);
    EXPECT_EQ(engine_run(e2, 0x10000, p, true), c);  // same key, same address: same bytes
    // Same plaintext at another address gives another ciphertext.
    EXPECT_NE(engine_run(e1, 0x11000, p, true), c);
    // Equal plaintext blocks inside a page encrypt differently (the tweak varies per block).
    EXPECT_NE(Bytes(c.begin(), c.begin() + 16), Bytes(c.begin() + 16, c.begin() + 32));
    // Ciphertext copied to another page decrypts to garbage; at its own address it decrypts.
    EXPECT_EQ(engine_run(e1, 0x10000, c, false), p);
    const Bytes moved = engine_run(e1, 0x11000, c, false);
    EXPECT_NE(moved, p);
    for (size_t b = 0; b < kPageSize; b += 16) {
      EXPECT_NE(Bytes(moved.begin() + b, moved.begin() + b + 16), Bytes(p.begin(), p.begin() + 16))
          << "block " << b / 16;
    }
    // Moved within the page (block 0 to block 1) also decrypts to garbage.
    const Bytes shifted = engine_run(e1, 0x10010, ByteSpan(c.data(), 16), false);
    EXPECT_NE(shifted, Bytes(p.begin(), p.begin() + 16));
    // A different key decrypts to garbage.
    const TestKey other = random_key(rng, KeyLength::Aes128);
    EXPECT_NE(engine_run(make(m, other), 0x10000, c, false), p);
  }
}

TEST_P(AesEngineTest, FlippedCiphertextBitGarblesExactlyItsBlock) {
  std::mt19937_64 rng(8);
  for (CipherMode m : {CipherMode::Xex, CipherMode::Xe}) {
    const TestKey k = random_key(rng, KeyLength::Aes256);
    const AesEngine e = make(m, k);
    const Bytes p = random_bytes(rng, kPageSize);
    const Bytes c = engine_run(e, 0x5000, p, true);
    ASSERT_EQ(engine_run(e, 0x5000, c, false), p);  // control: untouched ciphertext decrypts
    for (int t = 0; t < 20; ++t) {
      const size_t bit = rng() % (kPageSize * 8);
      Bytes bad = c;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      const Bytes d = engine_run(e, 0x5000, bad, false);
      const size_t blk = bit / 128;
      for (size_t b = 0; b < kPageSize / 16; ++b) {
        const bool same = std::memcmp(d.data() + b * 16, p.data() + b * 16, 16) == 0;
        EXPECT_EQ(same, b != blk) << "flipped bit " << bit << ", block " << b;
      }
    }
  }
}

TEST_P(AesEngineTest, EqualDataAndTweakKeysStillFollowTheDefinition) {
  // OpenSSL refuses XTS keys with equal halves; the engine must still compute the transform.
  std::mt19937_64 rng(9);
  TestKey k = random_key(rng, KeyLength::Aes128);
  k.k2 = k.k1;
  const AesEngine e = make(CipherMode::Xex, k);
  const Bytes p = random_bytes(rng, kPageSize);
  const Bytes c = engine_run(e, 0x3000, p, true);
  // Reference from ECB: T0 = E_K2(le128(3)), T_j = T0 * alpha^j, C = E_K1(P ^ T_j) ^ T_j.
  uint8_t iv[16] = {3};
  Bytes t = openssl_ecb(k.len, k.k2, ByteSpan(iv, 16), true);
  Bytes x(p.size()), tw(p.size());
  for (size_t j = 0; j < 256; ++j) {
    std::memcpy(tw.data() + j * 16, t.data(), 16);
    uint8_t carry = 0;
    for (size_t i = 0; i < 16; ++i) {  // multiply by alpha, IEEE 1619 5.2
      const uint8_t next = t[i] >> 7;
      t[i] = static_cast<uint8_t>((t[i] << 1) | carry);
      carry = next;
    }
    if (carry) t[0] ^= 0x87;
  }
  for (size_t i = 0; i < p.size(); ++i) x[i] = p[i] ^ tw[i];
  Bytes ref = openssl_ecb(k.len, k.k1, x, true);
  for (size_t i = 0; i < p.size(); ++i) ref[i] ^= tw[i];
  EXPECT_EQ(c, ref);
  EXPECT_EQ(engine_run(e, 0x3000, c, false), p);
}

INSTANTIATE_TEST_SUITE_P(Backends, AesEngineTest,
                         ::testing::Values(AesBackend::Portable, AesBackend::Vaes),
                         [](const auto& info) {
                           return info.param == AesBackend::Portable ? std::string("Portable")
                                                                     : std::string("Vaes");
                         });

TEST(AesEngine, AutoPicksVaesWhenTheCpuHasIt) {
  const KeyMaterial k(KeyLength::Aes128, Bytes(16, 1), Bytes(16, 2));
  const AesEngine e(CipherMode::Xex, k);
  EXPECT_EQ(e.backend(), AesEngine::vaes_available() ? AesBackend::Vaes : AesBackend::Portable);
}

TEST(AesEngine, BackendsAgreeOnEveryAlignedRange) {
  if (!AesEngine::vaes_available()) GTEST_SKIP() << "CPU lacks VAES/AVX-512";
  std::mt19937_64 rng(10);
  for (CipherMode m : {CipherMode::Xex, CipherMode::Xe}) {
    const TestKey k = random_key(rng, KeyLength::Aes128);
    const AesEngine fast(m, k.material(), AesBackend::Vaes);
    const AesEngine slow(m, k.material(), AesBackend::Portable);
    const Bytes p = random_bytes(rng, kPageSize);
    for (size_t first = 0; first < 256; first += 7) {
      for (size_t n = 1; first + n <= 256; n += 5) {
        const uint64_t pa = 0x9000 + first * 16;
        ByteSpan s(p.data(), n * 16);
        ASSERT_EQ(engine_run(fast, pa, s, true), engine_run(slow, pa, s, true));
        ASSERT_EQ(engine_run(fast, pa, s, false), engine_run(slow, pa, s, false));
      }
    }
  }
}

TEST(KeyMaterial, GenerateIsReproducibleFromASeedAndSeparatedByLabel) {
  crypto::Drbg a(42), b(42), c(43);
  const Bytes p(kPageSize, 0);
  auto enc = [&](const KeyMaterial& k) {
    return engine_run(AesEngine(CipherMode::Xex, k), 0x1000, p, true);
  };
  const KeyMaterial ka = KeyMaterial::generate(a, "sme-key", KeyLength::Aes128);
  const KeyMaterial kb = KeyMaterial::generate(b, "sme-key", KeyLength::Aes128);
  const KeyMaterial kc = KeyMaterial::generate(c, "sme-key", KeyLength::Aes128);
  const KeyMaterial kd = KeyMaterial::generate(b, "sme-key", KeyLength::Aes128);  // next draw
  const KeyMaterial ke = KeyMaterial::generate(a, "vm-key", KeyLength::Aes128);
  EXPECT_EQ(enc(ka), enc(kb));
  EXPECT_NE(enc(ka), enc(kc));
  EXPECT_NE(enc(ka), enc(kd));
  EXPECT_NE(enc(ka), enc(ke));
  const KeyMaterial k256 = KeyMaterial::generate(a, "k256", KeyLength::Aes256);
  EXPECT_EQ(k256.length(), KeyLength::Aes256);
}

TEST(KeyMaterial, DrbgBytesSplitIntoDataAndTweakKey) {
  // generate() takes 2n bytes of the labelled stream: the first n are K1, the next n K2.
  crypto::Drbg a(7), b(7);
  Bytes raw(32);
  a.generate("slot", raw);
  const KeyMaterial gen = KeyMaterial::generate(b, "slot", KeyLength::Aes128);
  const Bytes p(kPageSize, 0x11);
  const TestKey ref{KeyLength::Aes128, Bytes(raw.begin(), raw.begin() + 16),
                    Bytes(raw.begin() + 16, raw.end())};
  EXPECT_EQ(engine_run(AesEngine(CipherMode::Xex, gen), 0x2000, p, true),
            openssl_xts_page(ref, 2, p, true));
}

TEST(KeyMaterial, MoveKeepsTheKeyAndTheEngineOutlivesIt) {
  std::mt19937_64 rng(11);
  const TestKey k = random_key(rng, KeyLength::Aes256);
  KeyMaterial m1 = k.material();
  KeyMaterial m2(std::move(m1));
  KeyMaterial m3(KeyLength::Aes128, Bytes(16, 0), Bytes(16, 1));
  m3 = std::move(m2);
  EXPECT_EQ(m3.length(), KeyLength::Aes256);
  auto e = std::make_unique<AesEngine>(CipherMode::Xex, m3);
  {
    KeyMaterial gone = std::move(m3);  // the engine keeps its own expanded copy
  }
  const Bytes p = random_bytes(rng, kPageSize);
  EXPECT_EQ(engine_run(*e, 0x4000, p, true), openssl_xts_page(k, 4, p, true));
}

}  // namespace
}  // namespace cbit::hw
