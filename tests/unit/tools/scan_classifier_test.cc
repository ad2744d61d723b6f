// Page classes on real data: AES-XTS ciphertext from OpenSSL, English text, zero pages, and
// control cases that sit on the wrong side of each threshold.
#include <gtest/gtest.h>

#include <random>

#include "tools/scan/page_classifier.h"
#include "unit/tools/scan_test_util.h"

namespace cbit::tools::scan {
namespace {

using testing::aes_xts_pages;
using testing::text_bytes;

TEST(ScanClassifier, AesCiphertextPagesAreHighEntropy) {
  // 64 pages of AES-XTS output (of zeros and of text: the plaintext must not matter).
  for (const Bytes& plain : {Bytes(64 * 4096, 0), text_bytes(64 * 4096)}) {
    const Bytes ct = aes_xts_pages(plain);
    double lo = 8;
    for (size_t off = 0; off < ct.size(); off += kPageSize) {
      PageStats st;
      EXPECT_EQ(classify_page({ct.data() + off, kPageSize}, &st), PageClass::HighEntropy);
      lo = std::min(lo, st.entropy);
      EXPECT_LT(st.entropy, 8.0);
    }
    // The documented expectation: ~7.955 bits/byte for 4 KiB of AES output.
    EXPECT_GT(lo, 7.9);
  }
}

TEST(ScanClassifier, TextIsPlaintextLike) {
  const Bytes t = text_bytes(kPageSize);
  PageStats st;
  EXPECT_EQ(classify_page(t, &st), PageClass::Plaintext);
  EXPECT_LT(st.entropy, 5.0);
  EXPECT_DOUBLE_EQ(st.printable_fraction, 1.0);
  // The same text in UTF-16LE (every other byte zero) and a half-filled buffer stay text.
  Bytes wide(kPageSize, 0);
  for (size_t i = 0; i < kPageSize / 2; ++i) wide[2 * i] = t[i];
  EXPECT_EQ(classify_page(wide), PageClass::Plaintext);
  Bytes half(kPageSize, 0);
  std::copy(t.begin(), t.begin() + 300, half.begin());
  EXPECT_EQ(classify_page(half), PageClass::Plaintext);
}

TEST(ScanClassifier, ZeroPage) {
  const Bytes z(kPageSize, 0);
  EXPECT_EQ(classify_page(z), PageClass::Zero);
  // Control: one non-zero byte is no longer a zero page (and too little to be text).
  Bytes one = z;
  one[4095] = 'A';
  EXPECT_EQ(classify_page(one), PageClass::Other);
}

TEST(ScanClassifier, ControlsOnTheWrongSideOfEachThreshold) {
  // Half ciphertext, half zeros: entropy ~5, not ciphertext-like.
  Bytes half = aes_xts_pages(Bytes(kPageSize, 0));
  std::fill(half.begin() + kPageSize / 2, half.end(), 0);
  PageStats st;
  EXPECT_EQ(classify_page(half, &st), PageClass::Other);
  EXPECT_LT(st.entropy, kHighEntropyMin);
  // Text with every fourth byte replaced by a control byte: 75% printable < 85%.
  Bytes noisy = text_bytes(kPageSize);
  for (size_t i = 0; i < noisy.size(); i += 4) noisy[i] = 0x01;
  EXPECT_EQ(classify_page(noisy, &st), PageClass::Other);
  EXPECT_LT(st.printable_fraction, kPrintableMin);
  // Random bytes from a 16-value non-printable alphabet: entropy 4, not text.
  std::mt19937 rng(7);
  Bytes small(kPageSize);
  for (auto& b : small) b = static_cast<uint8_t>(0x80 + rng() % 16);
  EXPECT_EQ(classify_page(small, &st), PageClass::Other);
  EXPECT_NEAR(st.entropy, 4.0, 0.05);
}

TEST(ScanClassifier, EntropyExtremes) {
  Bytes uniform(kPageSize);
  for (size_t i = 0; i < uniform.size(); ++i) uniform[i] = static_cast<uint8_t>(i);
  EXPECT_DOUBLE_EQ(byte_entropy(uniform), 8.0);
  EXPECT_EQ(classify_page(uniform), PageClass::HighEntropy);
  EXPECT_DOUBLE_EQ(byte_entropy(Bytes(kPageSize, 'a')), 0.0);
  EXPECT_DOUBLE_EQ(byte_entropy({}), 0.0);
}

}  // namespace
}  // namespace cbit::tools::scan
